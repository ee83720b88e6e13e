/**
 * One client connection and its login state. The connection is anything
 * frame-shaped (SecureConnection in production, an in-memory pair in unit
 * tests).
 */
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { encodePayload, errorFrame, responseCommandOf, ErrorDetailSchema, ResultCode, type Command, type Frame } from '../../shared/protocol';

export interface CloseReason {
  code: ResultCode;
  message: string;
}

export interface FrameConnection {
  readonly remoteAddress: string;
  readonly closed: boolean;
  send(frame: Frame): boolean;
  close(error?: CloseReason): void;
  destroy(error?: CloseReason): void;
  on(event: 'frame', listener: (frame: Frame) => void): unknown;
  on(event: 'close', listener: (error: CloseReason | undefined) => void): unknown;
  /** Resolves when the socket takes data again (SecureConnection has it). */
  waitForDrain?(): Promise<void>;
}

/** Server serials for pushes start at 1 per connection; pushes and responses are told apart by command. */
const FIRST_PUSH_SERIAL = 1;

export class Session {
  userId = 0;
  deviceId = '';
  deviceName = '';
  /** The client's time of this session's login attempt (LoginRequest.attempt_at; 0 = not told): orders two sessions of one device across nodes. */
  attemptAt = 0;
  /** Requests answered asynchronously and not yet answered. */
  inFlight = 0;
  /**
   * Set when a send finds the socket's buffer above its high-water mark (the
   * peer is not reading): the last activity time then, 0 once it drains.
   */
  congestedSince = 0;
  /** Last time anything arrived (the idle sweep compares with it). */
  lastActivity: number;
  private pushSerial = FIRST_PUSH_SERIAL;

  constructor(
    readonly id: number,
    readonly conn: FrameConnection,
    now: number,
  ) {
    this.lastActivity = now;
  }

  get authenticated(): boolean {
    return this.userId !== 0;
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  /** Answers the request `command` (PING is answered by PONG, everything else by its own command). */
  respond(serial: number, command: number, payload: Uint8Array): void {
    this.send({ serial, command: responseCommandOf(command), code: ResultCode.OK, payload });
  }

  respondError(serial: number, command: number, code: ResultCode, message: string, field = '', retryAfterMs = 0): void {
    this.send({ serial, command: responseCommandOf(command), code, payload: encodePayload(ErrorDetailSchema, { code, message, field, retryAfterMs }) });
  }

  /**
   * Sends, noting when the peer stops reading: the idle sweep closes a
   * connection congested for too long, so a client that never reads cannot
   * make the server queue pushes for it without bound.
   */
  private send(frame: Frame): void {
    if (this.conn.send(frame) || this.congestedSince !== 0 || !this.conn.waitForDrain) return;
    this.congestedSince = this.lastActivity;
    void this.conn.waitForDrain().then(() => (this.congestedSince = 0));
  }

  /** A server-initiated frame with the next server serial; returns the serial. */
  push(command: Command, payload: Uint8Array): number {
    const serial = this.pushSerial;
    this.pushSerial = this.pushSerial >= 0x7fffffff ? FIRST_PUSH_SERIAL : this.pushSerial + 1;
    this.send({ serial, command, code: ResultCode.OK, payload });
    return serial;
  }

  pushMessage<Desc extends DescMessage>(command: Command, schema: Desc, value: MessageInitShape<Desc>): void {
    this.push(command, encodePayload(schema, value));
  }

  /** Tells the client why (an ERROR frame of the one shape, see errorFrame), then closes after flushing. */
  closeWith(code: ResultCode, message: string): void {
    if (this.conn.closed) return;
    this.send(errorFrame(code, message));
    this.conn.close({ code, message });
  }
}
