/**
 * Presence: a user is online while any of their devices is logged in, on
 * any node (the session directory knows). Changes are pushed to the user's
 * friends (not to every co-member of every group: that is what
 * PRESENCE_QUERY is for); the notifier reaches those online, wherever they
 * are. last_seen is stored when the last device goes. Last-seen privacy
 * (operations/settings.ts) decides, per pair of users, whether one sees the
 * other's: a friend it hides it from is told nothing, or `hidden`.
 */
import { create } from '@bufbuild/protobuf';
import { PresenceListSchema, PresenceSchema, type PresenceList, type PresenceQuery } from '../../shared/protocol';
import { presenceAudience, visiblePresence, wentOffline, type PresenceAudience } from '../operations/presence';
import type { Caller, ServiceDeps } from './deps';
import { big, requireIds } from './validate';

export class PresenceService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * The user came online (`online`) or went offline: store last_seen, and
   * tell the friends what the directory says now (devices may have come and
   * gone on other nodes meanwhile; the later change then tells them).
   */
  async changed(userId: number, online: boolean): Promise<void> {
    const { run, clock, notifier } = this.deps;
    const now = clock.now();
    const friends = online ? await run.read(presenceAudience, userId) : await run.write(wentOffline, userId);
    if (friends.visible.length === 0) return;
    if ((await this.isOnline(userId)) !== online) return;
    notifier.presence(friends.visible, create(PresenceSchema, { userId: big(userId), online, lastSeen: big(now) }));
  }

  /** The user's last-seen setting changed: tell each friend what they may see now. */
  async privacyChanged(userId: number): Promise<void> {
    const { run, notifier } = this.deps;
    const friends: PresenceAudience = await run.read(presenceAudience, userId);
    if (friends.hidden.length > 0) notifier.presence(friends.hidden, create(PresenceSchema, { userId: big(userId), hidden: true }));
    if (friends.visible.length === 0) return;
    const [me] = await run.read(visiblePresence, { caller: { userId, sessionId: 0 }, userIds: [userId] });
    const online = await this.isOnline(userId);
    notifier.presence(friends.visible, create(PresenceSchema, { userId: big(userId), online, lastSeen: big(me?.lastSeen ?? 0) }));
  }

  async query(caller: Caller, req: PresenceQuery): Promise<PresenceList> {
    const { run, notifier } = this.deps;
    const visible = await run.read(visiblePresence, { caller, userIds: requireIds('user_ids', req.userIds, 1000) });
    const online = await notifier.onlineAmong(visible.filter((v) => !v.hidden).map((v) => v.userId));
    return create(PresenceListSchema, {
      presences: visible.map((v) =>
        create(PresenceSchema, v.hidden ? { userId: big(v.userId), hidden: true } : { userId: big(v.userId), online: online.has(v.userId), lastSeen: big(v.lastSeen) }),
      ),
    });
  }

  private async isOnline(userId: number): Promise<boolean> {
    return (await this.deps.notifier.onlineAmong([userId])).has(userId);
  }
}
