/**
 * One client connection and its login state. The connection is anything
 * frame-shaped (SecureConnection in production, an in-memory pair in unit
 * tests).
 */
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { Command, encodePayload, ErrorDetailSchema, ResultCode, type Frame } from '../../shared/protocol';

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
}

/** Server serials for pushes start at 1 per connection; pushes and responses are told apart by command. */
const FIRST_PUSH_SERIAL = 1;

export class Session {
  userId = 0;
  deviceId = '';
  deviceName = '';
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

  respond(serial: number, command: number, payload: Uint8Array): void {
    this.conn.send({ serial, command, code: ResultCode.OK, payload });
  }

  respondError(serial: number, command: number, code: ResultCode, message: string, field = '', retryAfterMs = 0): void {
    this.conn.send({ serial, command, code, payload: encodePayload(ErrorDetailSchema, { code, message, field, retryAfterMs }) });
  }

  /** A server-initiated frame with the next server serial; returns the serial. */
  push(command: Command, payload: Uint8Array): number {
    const serial = this.pushSerial;
    this.pushSerial = this.pushSerial >= 0x7fffffff ? FIRST_PUSH_SERIAL : this.pushSerial + 1;
    this.conn.send({ serial, command, code: ResultCode.OK, payload });
    return serial;
  }

  pushMessage<Desc extends DescMessage>(command: Command, schema: Desc, value: MessageInitShape<Desc>): void {
    this.push(command, encodePayload(schema, value));
  }

  /** Tells the client why (ERROR), then closes after flushing. */
  closeWith(code: ResultCode, message: string): void {
    if (this.conn.closed) return;
    this.pushMessage(Command.ERROR, ErrorDetailSchema, { code, message });
    this.conn.close({ code, message });
  }
}
