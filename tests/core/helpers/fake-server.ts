/**
 * A scripted server behind a MemoryConnection, for unit tests of the core
 * under a manual clock: LOGIN, SYNC over an in-memory event log, PUSH,
 * PING, PUSH_ACK bookkeeping.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  Command,
  ConversationType,
  LoginRequestSchema,
  LoginResponseSchema,
  SyncDomain,
  SyncEventSchema,
  SyncRequestSchema,
  SyncResponseSchema,
  PushAckSchema,
  EmptySchema,
  ErrorDetailSchema,
  ResultCode,
  decodePayload,
  encodePayload,
  type Frame,
  type SyncEvent,
} from '../../../shared/protocol';
import type { MemoryConnection } from './memory-link';

export class FakeServer {
  readonly log: SyncEvent[] = [];
  readonly syncRequests: { cursor: number; domains: SyncDomain[] }[] = [];
  readonly pushAcks: number[] = [];
  /** Each LOGIN/REGISTER: whether it used the device token, and its attempt_at (0 for REGISTER, which has none). */
  readonly logins: { token: boolean; attemptAt: number }[] = [];
  connection: MemoryConnection | undefined;
  private pushSerial = 1;
  tokenValid = true;
  /** The next this many SYNC requests are answered UNAVAILABLE with `syncRetryAfterMs` (a database restarting). */
  syncUnavailable = 0;
  syncRetryAfterMs = 1000;
  /** Called for every SYNC request, before it is answered (tests inject pushes there). */
  onSync: ((count: number) => void) | undefined;

  constructor(readonly userId = 1) {}

  get head(): number {
    return this.log.length;
  }

  /** Appends a message event from user `from` in the 1:1 chat with them. */
  addMessage(from: number, text: string): SyncEvent {
    const seq = this.log.length + 1;
    const convSeq = this.log.filter((e) => e.event.case === 'message').length + 1;
    const event = create(SyncEventSchema, {
      seq: BigInt(seq),
      domain: SyncDomain.MESSAGES,
      event: {
        case: 'message',
        value: {
          msgId: BigInt(1000 + seq),
          conversation: { type: ConversationType.DIRECT, id: BigInt(from) },
          convSeq: BigInt(convSeq),
          senderId: BigInt(from),
          clientMsgId: `c-${seq}`,
          sentAt: BigInt(1_700_000_000_000 + seq),
          text,
        },
      },
    } as MessageInitShape<typeof SyncEventSchema>);
    this.log.push(event);
    return event;
  }

  addFriend(userId: number): SyncEvent {
    const seq = this.log.length + 1;
    const event = create(SyncEventSchema, {
      seq: BigInt(seq),
      domain: SyncDomain.FRIENDS,
      event: {
        case: 'friend',
        value: { userId: BigInt(userId), state: 1, since: 1n, profile: { userId: BigInt(userId), username: `u${userId}`, nickname: `U${userId}`, updatedAt: 1n } },
      },
    } as MessageInitShape<typeof SyncEventSchema>);
    this.log.push(event);
    return event;
  }

  addGroup(groupId: number): SyncEvent {
    const seq = this.log.length + 1;
    const event = create(SyncEventSchema, {
      seq: BigInt(seq),
      domain: SyncDomain.GROUPS,
      event: { case: 'group', value: { groupId: BigInt(groupId), name: `g${groupId}`, ownerId: 1n, memberCount: 1, myRole: 3, createdAt: 1n, updatedAt: 1n } },
    } as MessageInitShape<typeof SyncEventSchema>);
    this.log.push(event);
    return event;
  }

  /** Sends a PUSH of an event already in the log. */
  push(event: SyncEvent): void {
    this.connection?.deliver({ serial: this.pushSerial++, command: Command.PUSH, code: 0, payload: encodePayload(SyncEventSchema, event) });
  }

  attach(connection: MemoryConnection): void {
    this.connection = connection;
    connection.responder = (frame) => this.answer(frame);
  }

  private answer(frame: Frame): Frame[] {
    const reply = (payload: Uint8Array, code = 0): Frame[] => [{ serial: frame.serial, command: frame.command, code, payload }];
    switch (frame.command) {
      case Command.PING:
        return [{ serial: frame.serial, command: Command.PONG, code: 0, payload: new Uint8Array() }];
      case Command.LOGIN:
      case Command.REGISTER: {
        const req = decodePayload(LoginRequestSchema, frame.payload);
        const token = frame.command === Command.LOGIN && req.ok && req.value.credential.case === 'deviceToken';
        this.logins.push({ token, attemptAt: frame.command === Command.LOGIN && req.ok ? Number(req.value.attemptAt) : 0 });
        if (token && !this.tokenValid) return reply(encodePayload(ErrorDetailSchema, { code: ResultCode.TOKEN_INVALID, message: 'no' }), ResultCode.TOKEN_INVALID);
        return reply(
          encodePayload(LoginResponseSchema, {
            userId: BigInt(this.userId),
            deviceToken: 'token-1',
            profile: { userId: BigInt(this.userId), username: 'me', nickname: 'Me', updatedAt: 1n },
            syncHead: BigInt(this.head),
          } as MessageInitShape<typeof LoginResponseSchema>),
        );
      }
      case Command.SYNC: {
        const req = decodePayload(SyncRequestSchema, frame.payload);
        if (!req.ok) return [];
        const cursor = Number(req.value.cursor);
        const limit = req.value.limit || 200;
        const domains = req.value.domains;
        this.syncRequests.push({ cursor, domains: [...domains] });
        this.onSync?.(this.syncRequests.length);
        if (this.syncUnavailable > 0) {
          this.syncUnavailable--;
          return reply(
            encodePayload(ErrorDetailSchema, { code: ResultCode.UNAVAILABLE, message: 'the database is unavailable; retry shortly', retryAfterMs: this.syncRetryAfterMs }),
            ResultCode.UNAVAILABLE,
          );
        }
        const matching = this.log.filter((e) => Number(e.seq) > cursor && (domains.length === 0 || domains.includes(e.domain)));
        const events = matching.slice(0, limit);
        const hasMore = matching.length > limit;
        const last = events.length > 0 ? Number(events[events.length - 1]!.seq) : cursor;
        return reply(
          encodePayload(SyncResponseSchema, {
            events,
            nextCursor: BigInt(hasMore ? last : Math.max(last, this.head)),
            hasMore,
            head: BigInt(this.head),
          } as MessageInitShape<typeof SyncResponseSchema>),
        );
      }
      case Command.PUSH_ACK: {
        const ack = decodePayload(PushAckSchema, frame.payload);
        if (ack.ok) this.pushAcks.push(Number(ack.value.seq));
        return [];
      }
      default:
        return reply(encodePayload(EmptySchema, {}));
    }
  }
}
