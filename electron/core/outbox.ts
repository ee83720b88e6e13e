/**
 * The outbox engine: the guide's reliability policy for outgoing messages.
 *
 * - A message is written to the cache (message row `pending` + outbox row)
 *   in one transaction before any byte is sent; its id is a UUIDv7 client id,
 *   the server's de-duplication key, so a resend can never make a double.
 * - Connected: MESSAGE_SEND waits `ackTimeoutMs` (15 s) for the ack; a
 *   timeout is retried up to `ackRetries` (3) times, then the message fails.
 * - Disconnected: every `offlineCheckMs` (2 s) the engine checks again, up
 *   to `offlineChecks` (15) times per disconnection, then the message fails.
 * - RATE_LIMITED (the account is sending faster than the server allows):
 *   the whole outbox waits `retry_after_ms` (from the server's answer), then
 *   sends again. It uses up no retry and never fails a message: the message
 *   was refused for now, not lost.
 * - Failed messages wait for the user: `resend` (fresh attempts) or `delete`;
 *   except those that failed only because there was no connection (`OFFLINE`):
 *   the UI shows them failed after the offline window as designed, but when
 *   the connection returns they are sent by themselves, in order, as
 *   Telegram and WhatsApp do (a deleted one is gone from the outbox).
 * - Everything lives in the cache, so after a crash or quit `start()` picks
 *   up where it stopped (in-flight entries are sent again; the server answers
 *   a duplicate with the original ack).
 */
import type { ConversationKey, ConversationView, ErrorInfo, MessageView } from '../../shared/ipc';
import { Command } from '../../shared/protocol';
import type { Cache, OutboxEntry } from './cache/api';
import { Timer, type Clock } from './clock';
import { toWireRef } from './wire';
import { CoreError, errorCodes, toErrorInfo } from './errors';
import { big } from './wire';
import type { Link } from './connection-manager';
import type { Logger } from './log';
import type { Disposable } from '../../shared/util/disposable';
import type { Timings } from './timings';
import { uuidv7 } from './uuidv7';
import { wireFromStored, type StoredAttachment } from './attachments/stored';

/** Server answers worth another attempt (counted against the retry budget). */
const RETRYABLE = errorCodes('TIMEOUT', 'INTERNAL', 'SHUTTING_DOWN', 'UNAVAILABLE', 'NOT_AUTHENTICATED', 'BLOB_NOT_UPLOADED');
/** The wait after RATE_LIMITED when the server does not say how long. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1000;
/** How many sends may wait for their ack at once. */
const MAX_IN_FLIGHT = 32;

export interface OutboxDeps {
  cache: Cache;
  clock: Clock;
  timings: Timings;
  log: Logger;
  /** The authenticated link, if any. */
  link(): Link | undefined;
  changed(change: { messages?: MessageView[]; conversations?: ConversationView[] }): void;
  /**
   * Uploads the files of a message before it is sent (resuming where the
   * server stopped); rejects with OFFLINE, CANCELLED, or the cause.
   */
  upload?(messageId: string, attachments: readonly StoredAttachment[]): Promise<void>;
  /** The message was deleted: stop its upload. */
  cancelUpload?(messageId: string): void;
}

export interface SendInput {
  key: ConversationKey;
  text: string;
  mentions?: number[];
  replyToServerId?: number;
  /** Already in this device's files, pinned (see Attachments.send). */
  attachments?: StoredAttachment[];
}

export class Outbox implements Disposable {
  private readonly inFlight = new Set<string>();
  /** Offline checks made per entry during the current disconnection. */
  private readonly offlineChecks = new Map<string, number>();
  private readonly offlineTimer: Timer;
  private readonly retryTimer: Timer;
  /** The server said RATE_LIMITED: nothing is sent before this time (epoch ms). */
  private pausedUntil = 0;
  private disposed = false;

  constructor(private readonly deps: OutboxDeps) {
    this.offlineTimer = new Timer(deps.clock);
    this.retryTimer = new Timer(deps.clock);
  }

  /** Resume after a restart: whatever was in flight is queued again. */
  start(): void {
    this.deps.cache.outbox.requeueInflight(this.deps.clock.now());
    this.pump();
  }

  send(input: SendInput): MessageView {
    const { cache, clock } = this.deps;
    const now = clock.now();
    const id = uuidv7(now);
    const quoted = input.replyToServerId !== undefined ? cache.messages.getByServerId(input.replyToServerId) : undefined;
    const { message: view, conversation } = cache.enqueueOutgoing({
      id,
      key: input.key,
      text: input.text,
      mentions: input.mentions ?? [],
      ...(input.replyToServerId !== undefined
        ? { replyTo: { serverId: input.replyToServerId, senderId: quoted?.senderId ?? 0, preview: quoted?.text ?? '' } }
        : {}),
      ...(input.attachments && input.attachments.length > 0 ? { attachments: input.attachments } : {}),
      createdAt: now,
    });
    this.deps.changed({ messages: [view], conversations: [conversation] });
    this.pump();
    return view;
  }

  resend(messageId: string): MessageView {
    const { cache, clock } = this.deps;
    const entry = cache.outbox.get(messageId);
    if (!entry) throw new CoreError('NOT_FOUND', 'no unsent message with this id');
    if (entry.state !== 'failed') {
      const current = cache.messages.get(messageId);
      if (current) return current;
    }
    const view = cache.transaction(() => {
      cache.outbox.update(messageId, { state: 'queued', attempts: 0, nextAttemptAt: clock.now(), lastError: undefined });
      return cache.messages.setStatus(messageId, 'pending');
    });
    this.offlineChecks.delete(messageId);
    if (!view) throw new CoreError('NOT_FOUND', 'message not found');
    this.notify([view], entry.key);
    this.pump();
    return view;
  }

  /** Forget an unsent message (the user deleted it). */
  discard(messageId: string): void {
    this.deps.cancelUpload?.(messageId);
    this.deps.cache.outbox.remove(messageId);
    this.offlineChecks.delete(messageId);
  }

  /** The link is up and authenticated: send everything queued now. */
  online(): void {
    this.offlineTimer.clear();
    this.offlineChecks.clear();
    const { cache, clock } = this.deps;
    cache.outbox.makeDue(clock.now());
    this.requeueFailedOffline();
    this.pump();
  }

  /** What failed for want of a connection goes out again now (pending again in the UI). */
  private requeueFailedOffline(): void {
    const { cache, clock } = this.deps;
    const byKey = new Map<ConversationKey, MessageView[]>();
    cache.transaction(() => {
      for (const id of cache.outbox.requeueFailedOffline(clock.now())) {
        const view = cache.messages.setStatus(id, 'pending');
        if (view) byKey.set(view.conversationKey, [...(byKey.get(view.conversationKey) ?? []), view]);
      }
    });
    for (const [key, views] of byKey) this.notify(views, key);
  }

  /** The link went away: start counting offline checks. */
  offline(): void {
    this.pump();
  }

  dispose(): void {
    this.disposed = true;
    this.offlineTimer.dispose();
    this.retryTimer.dispose();
  }

  /**
   * Sends whatever is due (as many as there are free in-flight slots: one
   * ack frees one slot and reads one row), or arms the offline check while
   * disconnected. Never reads the whole outbox.
   */
  pump(): void {
    if (this.disposed) return;
    const link = this.deps.link();
    const now = this.deps.clock.now();
    if (!link) {
      this.armOfflineCheck();
      return;
    }
    this.offlineTimer.clear();
    if (now < this.pausedUntil) {
      this.armRetry();
      return;
    }
    const free = MAX_IN_FLIGHT - this.inFlight.size;
    // Entries in flight are in state 'inflight' in the table: listDue (queued only) never returns them.
    if (free > 0) for (const entry of this.deps.cache.outbox.listDue(now, free)) void this.sendOne(entry, link);
    this.armRetry();
  }

  private async sendOne(entry: OutboxEntry, link: Link): Promise<void> {
    const { cache, clock, timings } = this.deps;
    const id = entry.clientMsgId;
    this.inFlight.add(id);
    const attempts = entry.attempts + 1;
    cache.outbox.update(id, { state: 'inflight', attempts });
    try {
      const files = entry.payload.attachments ?? [];
      // Files first: the message is sent once the server holds every one of them.
      if (files.length > 0) {
        if (!this.deps.upload) throw new CoreError('UNSUPPORTED', 'this core cannot upload files');
        await this.deps.upload(id, files);
        if (this.disposed) return;
      }
      const ack = await (files.length > 0 ? this.readyLink() : link).request(
        Command.MESSAGE_SEND,
        {
          to: toWireRef(entry.key),
          clientMsgId: id,
          text: entry.payload.text,
          mentions: entry.payload.mentions.map((userId) => ({ userId: big(userId) })),
          replyToMsgId: big(entry.payload.replyToMsgId),
          attachments: files.map(wireFromStored),
        },
        timings.ackTimeoutMs,
      );
      if (this.disposed) return;
      const acked = cache.acknowledgeOutgoing(id, { msgId: ack.msgId, convSeq: ack.convSeq, sentAt: ack.sentAt });
      this.offlineChecks.delete(id);
      if (acked) this.deps.changed({ messages: [acked.message], ...(acked.conversation ? { conversations: [acked.conversation] } : {}) });
    } catch (err) {
      if (this.disposed) return;
      const info = toErrorInfo(err);
      const current = cache.outbox.get(id);
      if (!current) return; // deleted meanwhile
      if (info.code === 'OFFLINE') {
        // The connection went away under the request: not the server's fault,
        // so it does not use up a retry. No pump here: the reconnect
        // (online()) or the offline checks send it again; pumping at once
        // would spin on a link that is closing.
        cache.outbox.update(id, { state: 'queued', attempts: entry.attempts, nextAttemptAt: clock.now() });
        this.armOfflineCheck();
        return; // (finally still clears inFlight)
      } else if (info.code === 'RATE_LIMITED') {
        // Refused for now, not lost: wait as long as the server says, with the retry budget untouched.
        const wait = err instanceof CoreError && err.retryAfterMs > 0 ? err.retryAfterMs : DEFAULT_RATE_LIMIT_WAIT_MS;
        const until = clock.now() + wait;
        this.pausedUntil = Math.max(this.pausedUntil, until);
        this.deps.log.info({ waitMs: wait }, 'outbox: rate limited, waiting');
        cache.outbox.update(id, { state: 'queued', attempts: entry.attempts, nextAttemptAt: until });
      } else if (RETRYABLE.has(info.code) && attempts <= timings.ackRetries) {
        this.deps.log.info({ code: info.code, attempts }, 'outbox: retrying');
        // After a timeout at once; otherwise a second, or as long as the server asked (UNAVAILABLE on a full disk says 5 s).
        const hinted = err instanceof CoreError ? err.retryAfterMs : 0;
        cache.outbox.update(id, { state: 'queued', nextAttemptAt: clock.now() + (info.code === 'TIMEOUT' ? 0 : Math.max(1000, hinted)), lastError: info });
      } else {
        this.fail(entry.key, id, info);
      }
    } finally {
      this.inFlight.delete(id);
    }
    this.pump();
  }

  /** The link now (an upload may have outlived the one the send began on). */
  private readyLink(): Link {
    const link = this.deps.link();
    if (!link) throw new CoreError('OFFLINE', 'not connected to the server');
    return link;
  }

  private fail(key: ConversationKey, id: string, error: ErrorInfo): void {
    const { cache } = this.deps;
    this.deps.log.warn({ code: error.code }, 'outbox: message failed');
    const view = cache.transaction(() => {
      cache.outbox.update(id, { state: 'failed', lastError: error });
      return cache.messages.setStatus(id, 'failed', error);
    });
    this.offlineChecks.delete(id);
    if (view) this.notify([view], key);
  }

  private armOfflineCheck(): void {
    if (this.offlineTimer.pending || !this.deps.cache.outbox.hasUnsent()) return;
    this.offlineTimer.set(this.deps.timings.offlineCheckMs, () => this.offlineCheck());
  }

  private offlineCheck(): void {
    if (this.disposed) return;
    if (this.deps.link()) {
      this.pump();
      return;
    }
    for (const entry of this.deps.cache.outbox.listUnsent()) {
      if (this.inFlight.has(entry.clientMsgId)) continue;
      const checks = (this.offlineChecks.get(entry.clientMsgId) ?? 0) + 1;
      this.offlineChecks.set(entry.clientMsgId, checks);
      if (checks >= this.deps.timings.offlineChecks) {
        this.fail(entry.key, entry.clientMsgId, { code: 'OFFLINE', message: 'no connection to the server' });
      }
    }
    this.armOfflineCheck();
  }

  /** Wakes up for entries whose retry time is in the future (non-timeout retries). */
  private armRetry(): void {
    const now = this.deps.clock.now();
    const paused = this.pausedUntil > now && this.deps.cache.outbox.hasUnsent();
    const at = paused ? this.pausedUntil : this.deps.cache.outbox.nextAttemptAfter(now);
    if (at === undefined) return;
    this.retryTimer.set(at - now, () => this.pump());
  }

  private notify(messages: MessageView[], key: ConversationKey): void {
    const conversation = this.deps.cache.conversations.get(key);
    this.deps.changed({ messages, ...(conversation ? { conversations: [conversation] } : {}) });
  }
}
