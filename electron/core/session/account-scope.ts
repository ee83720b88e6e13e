/**
 * Everything that exists while one account's cache is open: the cache and
 * the engines working on it (outbox, sync, presence, read positions, the
 * typing throttle). The session creates it once the user id is known (after
 * a login, or offline from a stored token) and disposes it when it ends;
 * the contract's methods reach the account through it.
 */
import type { ProxyConfig } from '../../../shared/node/proxy/tunnel';
import type { MediaSettings, SyncPhase } from '../../../shared/ipc';
import {
  Command,
  ErrorDetailSchema,
  PresenceSchema,
  SyncEventSchema,
  TypingNoticeSchema,
  decodePayload,
  type Frame,
} from '../../../shared/protocol';
import { DisposableStore, type Disposable } from '../../../shared/util/disposable';
import type { Cache } from '../cache/api';
import type { Clock } from '../clock';
import type { Link } from '../connection-manager';
import { toErrorInfo } from '../errors';
import { emitApplied, type CoreEmitter } from '../events';
import type { Logger } from '../log';
import { Outbox } from '../outbox';
import { AccountAttachments } from '../attachments/account-attachments';
import { SyncEngine } from '../sync';
import type { Timings } from '../timings';
import { fromWireRef, num } from '../wire';
import { MuteExpiry } from './mute-expiry';
import { PresenceTracker } from './presence';
import { ReadReporter } from './read-reporter';
import { SettingsSender } from './settings-sender';
import { TypingThrottle } from './typing';

export interface AccountScopeDeps {
  cache: Cache;
  clock: Clock;
  timings: Timings;
  log: Logger;
  events: CoreEmitter;
  /** The authenticated link (syncing or online, still open), if any. */
  link(): Link | undefined;
  /** The login sync is done and the link is up. */
  isOnline(): boolean;
  /** Login sync progress (shown while the connection state is `syncing`). */
  syncProgress(phase: SyncPhase, done: number): void;
  /** The device's media settings (auto-download, cache cap). */
  media(): MediaSettings;
  /** The proxy file transfers go through. */
  proxy(): ProxyConfig | undefined;
}

export class AccountScope implements Disposable {
  readonly cache: Cache;
  readonly outbox: Outbox;
  readonly sync: SyncEngine;
  readonly presence: PresenceTracker;
  readonly reads: ReadReporter;
  readonly settings: SettingsSender;
  readonly typing: TypingThrottle;
  readonly mutes: MuteExpiry;
  readonly attachments: AccountAttachments;
  private readonly store = new DisposableStore();

  constructor(private readonly deps: AccountScopeDeps) {
    const { cache, events, log } = deps;
    this.cache = cache;
    // Disposed last: the engines above it stop before the file closes.
    this.store.addCallback(() => {
      try {
        cache.close();
      } catch (err) {
        log.warn({ err: toErrorInfo(err) }, 'closing the cache failed');
      }
    });
    this.presence = new PresenceTracker({ cache, events, log });
    this.reads = new ReadReporter(deps.link, log);
    this.settings = new SettingsSender(cache, deps.link, log);
    this.typing = new TypingThrottle(deps.clock, deps.timings.typingThrottleMs);
    this.attachments = this.store.add(
      new AccountAttachments({ cache, clock: deps.clock, timings: deps.timings, log, events, link: deps.link, media: deps.media, proxy: deps.proxy }),
    );
    this.outbox = this.store.add(
      new Outbox({
        cache,
        clock: deps.clock,
        timings: deps.timings,
        log,
        link: deps.link,
        changed: (change) => {
          emitApplied(events, change);
          if (change.conversations && change.conversations.length > 0) events.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
        },
        upload: (messageId, files) => this.attachments.transfers.uploadMessage(messageId, files),
        cancelUpload: (messageId) => this.attachments.transfers.cancelMessage(messageId),
      }),
    );
    this.sync = this.store.add(
      new SyncEngine({
        cache,
        log,
        pageSize: deps.timings.syncPageSize,
        clock: deps.clock,
        retry: { initialMs: deps.timings.backoffInitialMs, maxMs: deps.timings.backoffMaxMs },
        link: deps.link,
        changed: (changes) => {
          emitApplied(events, changes);
          // A friendship made while online: learn the new friend's presence now, not at the next login.
          const newFriends = changes.friends.filter((f) => f.state === 'friend').map((f) => f.userId);
          const link = deps.link();
          if (newFriends.length > 0 && link && deps.isOnline()) void this.presence.refresh(link, newFriends);
          // A mute set on another device may end at another time.
          if (changes.settingsChanged) this.mutes.reschedule();
          if (changes.privacy) {
            events.emit('privacyChanged', changes.privacy);
            // Our own setting also decides whose presence we see: ask again.
            if (link && deps.isOnline()) void this.presence.refresh(link);
          }
        },
        progress: deps.syncProgress,
      }),
    );
    this.mutes = this.store.add(
      new MuteExpiry(cache, deps.clock, (conversations) => {
        events.emit('conversationsChanged', { conversations });
        events.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
      }),
    );
    this.mutes.reschedule();
    this.outbox.start();
    void this.attachments.start();
  }

  /** Logged in on `link`: send what waits, bring the cache up to `syncHead`. Resolves when synced. */
  async synchronise(link: Link, syncHead: number): Promise<void> {
    this.outbox.online();
    await this.sync.loginSync(link, syncHead);
  }

  /** Online after the login sync: everything that waited for the connection goes out. */
  online(link: Link, selfUserId: number): void {
    this.outbox.online();
    this.reads.flush();
    this.settings.flush();
    // The server does not tell us our own presence: we are online on this device.
    this.presence.apply(selfUserId, true, this.deps.clock.now());
    void this.presence.refresh(link);
  }

  offline(): void {
    this.outbox.offline();
  }

  /** The pushes that concern the account's data (KICKED belongs to the session). */
  handlePush(frame: Frame, link: Link): void {
    const { events, log } = this.deps;
    switch (frame.command) {
      case Command.PUSH: {
        const event = decodePayload(SyncEventSchema, frame.payload);
        if (!event.ok) return;
        this.sync.push(link, frame.serial, event.value).catch((err: unknown) => log.warn({ err: toErrorInfo(err) }, 'push not applied'));
        return;
      }
      case Command.TYPING_PUSH: {
        const notice = decodePayload(TypingNoticeSchema, frame.payload);
        if (!notice.ok) return;
        const key = fromWireRef(notice.value.conversation);
        if (key) events.emit('typing', { key, userId: num(notice.value.userId), typing: notice.value.typing });
        return;
      }
      case Command.PRESENCE_PUSH: {
        const presence = decodePayload(PresenceSchema, frame.payload);
        if (!presence.ok) return;
        this.presence.apply(num(presence.value.userId), presence.value.online, num(presence.value.lastSeen), presence.value.hidden);
        return;
      }
      case Command.ERROR: {
        const detail = decodePayload(ErrorDetailSchema, frame.payload);
        log.warn({ code: detail.ok ? detail.value.code : undefined }, 'server error frame');
        return;
      }
      default:
        return;
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}
