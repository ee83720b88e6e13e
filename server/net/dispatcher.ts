/**
 * Turns incoming frames into handler calls and answers. Every request gets
 * exactly one answer with its serial and command: OK with the response
 * payload, or an error code with an ErrorDetail. Framing-level faults
 * (unknown command, malformed payload) are answered and the connection is
 * closed, as the protocol's 1xx codes say. A handler exception becomes
 * INTERNAL and is logged without payloads.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import type { Logger } from 'pino';
import {
  Command,
  decodePayload,
  encodePayload,
  isRequestCommand,
  PushAckSchema,
  pushAckSeq,
  requestSpecs,
  ResultCode,
  type Frame,
  type RequestCommand,
} from '../../shared/protocol';
import type { Clock } from '../clock';
import type { Metrics } from '../metrics';
import { ServiceError } from '../services/errors';
import type { MessageService } from '../services/messages';
import type { Handler, HandlerTable } from './handlers';
import type { Session } from './session';

export class Dispatcher {
  /** Set on shutdown: new requests are answered SHUTTING_DOWN. */
  shuttingDown = false;

  constructor(
    private readonly handlers: HandlerTable,
    private readonly messages: MessageService,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly maxInFlight = 1024,
  ) {}

  handle(session: Session, frame: Frame): void {
    session.lastActivity = this.clock.now();
    const command = frame.command;
    if (command === Command.PUSH_ACK) return this.pushAck(session, frame);
    if (command === Command.PONG) return; // a client answering a server PING: activity is all it means
    const started = performance.now();
    if (!isRequestCommand(command)) {
      this.metrics.error(ResultCode.UNKNOWN_COMMAND);
      session.respondError(frame.serial, command, ResultCode.UNKNOWN_COMMAND, `unknown command ${command}`);
      session.conn.close({ code: ResultCode.UNKNOWN_COMMAND, message: `unknown command ${command}` });
      return;
    }
    const spec = requestSpecs[command];
    const decoded = decodePayload(spec.request, frame.payload);
    if (!decoded.ok) {
      this.metrics.error(ResultCode.MALFORMED_PAYLOAD);
      session.respondError(frame.serial, command, ResultCode.MALFORMED_PAYLOAD, decoded.error);
      session.conn.close({ code: ResultCode.MALFORMED_PAYLOAD, message: 'malformed payload' });
      return;
    }
    if (this.shuttingDown && command !== Command.PING) return this.answerError(session, frame, started, new ServiceError(ResultCode.SHUTTING_DOWN, 'server is stopping'));
    if (!('anonymous' in spec) && !session.authenticated) {
      return this.answerError(session, frame, started, new ServiceError(ResultCode.NOT_AUTHENTICATED, 'log in first'));
    }
    if (session.inFlight >= this.maxInFlight) {
      return this.answerError(session, frame, started, new ServiceError(ResultCode.RATE_LIMITED, 'too many requests in flight on this connection', '', 100));
    }
    const handler = this.handlers[command] as Handler<RequestCommand>;
    let result: ReturnType<Handler<RequestCommand>>;
    try {
      result = handler(session, decoded.value as never);
    } catch (err) {
      return this.answerError(session, frame, started, err);
    }
    if (result instanceof Promise) {
      session.inFlight++;
      result.then(
        (value) => {
          session.inFlight--;
          this.answer(session, frame, started, spec.response, value);
        },
        (err: unknown) => {
          session.inFlight--;
          this.answerError(session, frame, started, err);
        },
      );
    } else {
      this.answer(session, frame, started, spec.response, result);
    }
  }

  /**
   * Handlers resolve only once what they wrote is durable (the store's writes do), so answering at once is safe.
   * `started`: when the request's frame arrived (performance.now()), for the latency metrics.
   */
  private answer(session: Session, frame: Frame, started: number, schema: DescMessage, value: unknown): void {
    if (session.closed) return;
    try {
      // encodePayload: a value that carries its own encoding (a send's ack from the SQLite worker) is not encoded again.
      session.respond(frame.serial, frame.command, encodePayload(schema, value as never));
    } catch (err) {
      this.answerError(session, frame, started, err);
      return;
    }
    this.metrics.answered(frame.command, started, frame.command === Command.MESSAGE_SEND && !(value as { duplicate?: boolean }).duplicate);
  }

  private answerError(session: Session, frame: Frame, started: number, err: unknown): void {
    let code: ResultCode;
    let message: string;
    let field = '';
    let retry = 0;
    if (err instanceof ServiceError) {
      ({ code, message, field } = err);
      retry = err.retryAfterMs;
    } else {
      code = ResultCode.INTERNAL;
      message = 'internal error';
      // The error, never the request: payloads may hold message bodies or passwords.
      this.logger.error({ err, command: Command[frame.command], session: session.id, userId: session.userId }, 'request failed');
    }
    this.metrics.error(code);
    if (session.closed) return;
    session.respondError(frame.serial, frame.command, code, message, field, retry);
    this.metrics.answered(frame.command, started);
  }

  private pushAck(session: Session, frame: Frame): void {
    if (!session.authenticated) return; // nothing was pushed to an anonymous session
    let seq = pushAckSeq(frame.payload);
    if (seq < 0) {
      // Not the plain shape: the generic decoder judges it (and names what is wrong).
      const decoded = decodePayload(PushAckSchema, frame.payload);
      if (!decoded.ok) {
        this.metrics.error(ResultCode.MALFORMED_PAYLOAD);
        session.closeWith(ResultCode.MALFORMED_PAYLOAD, decoded.error);
        return;
      }
      seq = Number(decoded.value.seq);
    }
    this.metrics.pushAcks.inc();
    this.messages.pushAcked(session.userId, seq);
  }
}
