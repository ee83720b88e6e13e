/**
 * A small protocol client for the server's tests and benchmark, on top of
 * connectSecure. Typed requests, collected pushes, optional auto PUSH_ACK.
 * (The desktop app's real client lives in electron/core/; this one stays
 * deliberately simple and separate.)
 */
import { create, fromBinary, toBinary, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { randomUUID } from 'node:crypto';
import {
  Command,
  ErrorDetailSchema,
  PROTOCOL_VERSION,
  PushAckSchema,
  pushSpecs,
  requestSpecs,
  ResultCode,
  SyncEventSchema,
  type ErrorDetail,
  type Frame,
  type LoginResponse,
  type RequestCommand,
  type SyncEvent,
} from '../../../shared/protocol';
import { connectSecure, type SecureConnection, type TransportError } from '../../../shared/node/transport';

export interface Endpoint {
  host: string;
  port: number;
  publicKey: Uint8Array;
}

type Req<C extends RequestCommand> = MessageInitShape<(typeof requestSpecs)[C]['request']>;
type Res<C extends RequestCommand> = MessageShape<(typeof requestSpecs)[C]['response']>;

export class RequestError extends Error {
  constructor(
    readonly code: ResultCode,
    readonly detail: ErrorDetail,
  ) {
    super(`${ResultCode[code] ?? code}: ${detail.message}`);
  }
}

export interface PushRecord {
  serial: number;
  command: number;
  code: number;
  payload: Uint8Array;
}

interface Waiter {
  match: (p: PushRecord) => boolean;
  resolve: (p: PushRecord) => void;
}

export class TestClient {
  private serial = 0;
  private readonly pending = new Map<number, { resolve: (f: Frame) => void; reject: (e: Error) => void }>();
  readonly pushes: PushRecord[] = [];
  private waiters: Waiter[] = [];
  /** Close reason once closed. */
  closeError: TransportError | undefined;
  readonly closedPromise: Promise<TransportError | undefined>;
  userId = 0;
  deviceId = '';
  login: LoginResponse | undefined;
  /** Automatically answer PUSH with PUSH_ACK. */
  autoAck = true;

  private constructor(readonly conn: SecureConnection) {
    conn.on('frame', (frame) => this.onFrame(frame));
    this.closedPromise = new Promise((resolve) => {
      conn.on('close', (error) => {
        this.closeError = error;
        for (const p of this.pending.values()) p.reject(new Error(`connection closed: ${error?.message ?? 'orderly'}`));
        this.pending.clear();
        resolve(error);
      });
    });
  }

  static async connect(endpoint: Endpoint, options: { protocolVersion?: number; maxFrameSize?: number } = {}): Promise<TestClient> {
    const { connection } = await connectSecure({
      host: endpoint.host,
      port: endpoint.port,
      serverPublicKey: endpoint.publicKey,
      hello: { protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION, clientName: 'tern-server-tests' },
      timeoutMs: 10_000,
      maxFrameSize: options.maxFrameSize,
    });
    return new TestClient(connection);
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  /** Sends a request; resolves with the decoded response, rejects with RequestError on a non-OK code. */
  async call<C extends RequestCommand>(command: C, request: Req<C>): Promise<Res<C>> {
    const frame = await this.callRaw(command, toBinary(requestSpecs[command].request, create(requestSpecs[command].request, request as never)));
    if (frame.code !== ResultCode.OK) throw new RequestError(frame.code, fromBinary(ErrorDetailSchema, frame.payload));
    return fromBinary(requestSpecs[command].response, frame.payload) as Res<C>;
  }

  /** Expects a failure; returns its code (throws if the call succeeded). */
  async fails<C extends RequestCommand>(command: C, request: Req<C>): Promise<ResultCode> {
    try {
      await this.call(command, request);
    } catch (err) {
      if (err instanceof RequestError) return err.code;
      throw err;
    }
    throw new Error(`${Command[command]} unexpectedly succeeded`);
  }

  callRaw(command: number, payload: Uint8Array, serial = ++this.serial): Promise<Frame> {
    return new Promise((resolve, reject) => {
      this.pending.set(serial, { resolve, reject });
      this.conn.send({ serial, command, code: 0, payload });
    });
  }

  sendFrame(frame: Frame): void {
    this.conn.send(frame);
  }

  async register(username: string, password = 'correct horse battery', deviceId: string = randomUUID()): Promise<LoginResponse> {
    const res = await this.call(Command.REGISTER, { username, password, nickname: username, device: { deviceId, deviceName: `${username}-device` } });
    this.userId = Number(res.userId);
    this.deviceId = deviceId;
    this.login = res;
    return res;
  }

  async loginPassword(username: string, password = 'correct horse battery', deviceId: string = randomUUID(), kickOtherSessions = false): Promise<LoginResponse> {
    const res = await this.call(Command.LOGIN, {
      username,
      credential: { case: 'password', value: password },
      device: { deviceId, deviceName: `${username}-${deviceId.slice(0, 4)}` },
      kickOtherSessions,
    });
    this.userId = Number(res.userId);
    this.deviceId = deviceId;
    this.login = res;
    return res;
  }

  /** Sync events (decoded) pushed so far. */
  events(): SyncEvent[] {
    return this.pushes.filter((p) => p.command === Command.PUSH).map((p) => fromBinary(SyncEventSchema, p.payload));
  }

  /** Waits for a push matching `match` (already received ones count). */
  waitPush(match: (p: PushRecord) => boolean, timeoutMs = 5000): Promise<PushRecord> {
    const found = this.pushes.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('timed out waiting for a push'));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Waits for a sync event whose oneof case is `kind` and that satisfies `match`. */
  async waitEvent<K extends NonNullable<SyncEvent['event']['case']>>(
    kind: K,
    match: (value: Extract<SyncEvent['event'], { case: K }>['value'], event: SyncEvent) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Extract<SyncEvent['event'], { case: K }>['value']> {
    const test = (p: PushRecord) => {
      if (p.command !== Command.PUSH) return false;
      const e = fromBinary(SyncEventSchema, p.payload);
      return e.event.case === kind && match(e.event.value as never, e);
    };
    const p = await this.waitPush(test, timeoutMs);
    return fromBinary(SyncEventSchema, p.payload).event.value as never;
  }

  /**
   * The ERROR frame the server sent before closing, checked to have the one
   * shape PROTOCOL.md §3 gives every ERROR frame: serial 0, the reason in the
   * header's code and the same code in the ErrorDetail.
   */
  errorFrame(): { code: ResultCode; message: string } {
    const errors = this.pushes.filter((p) => p.command === Command.ERROR);
    if (errors.length !== 1) throw new Error(`expected one ERROR frame, got ${errors.length}`);
    const frame = errors[0]!;
    const detail = this.decodePush(Command.ERROR, frame);
    if (frame.serial !== 0 || frame.code !== detail.code) {
      throw new Error(`ERROR frame of the wrong shape: serial ${frame.serial}, header code ${frame.code}, detail code ${detail.code}`);
    }
    return { code: detail.code, message: detail.message };
  }

  decodePush<C extends keyof typeof pushSpecs>(command: C, p: PushRecord): MessageShape<(typeof pushSpecs)[C]> {
    return fromBinary(pushSpecs[command], p.payload) as MessageShape<(typeof pushSpecs)[C]>;
  }

  close(): Promise<TransportError | undefined> {
    this.conn.close();
    return this.closedPromise;
  }

  private onFrame(frame: Frame): void {
    const pending = this.pending.get(frame.serial);
    if (pending && frame.command !== Command.PUSH && frame.command !== Command.KICKED && frame.command !== Command.TYPING_PUSH && frame.command !== Command.PRESENCE_PUSH && frame.command !== Command.ERROR) {
      this.pending.delete(frame.serial);
      pending.resolve(frame);
      return;
    }
    const record = { serial: frame.serial, command: frame.command, code: frame.code, payload: frame.payload };
    this.pushes.push(record);
    if (frame.command === Command.PUSH && this.autoAck) {
      const event = fromBinary(SyncEventSchema, frame.payload);
      this.conn.send({ serial: frame.serial, command: Command.PUSH_ACK, code: 0, payload: toBinary(PushAckSchema, create(PushAckSchema, { seq: event.seq })) });
    }
    for (const w of [...this.waiters]) {
      if (w.match(record)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(record);
      }
    }
  }
}
