/**
 * Presence: a user is online while any of their devices is connected and
 * logged in. Changes are pushed to online friends (not to every co-member of
 * every group: that is what PRESENCE_QUERY is for). last_seen is stored when
 * the last device goes.
 */
import { create } from '@bufbuild/protobuf';
import { FriendState, PresenceListSchema, PresenceSchema, type Presence, type PresenceList, type PresenceQuery } from '../../shared/protocol';
import { isFriend } from './access';
import type { Caller, ServiceDeps } from './deps';
import { big, requireIds } from './validate';

export class PresenceService {
  constructor(private readonly deps: ServiceDeps) {}

  changed(userId: number, online: boolean): void {
    const { store, clock, notifier } = this.deps;
    const now = clock.now();
    if (!online) store.transaction(() => store.users.setLastSeen(userId, now));
    const presence = create(PresenceSchema, { userId: big(userId), online, lastSeen: big(now) });
    const friends = store.friends.ids(userId, FriendState.FRIEND).filter((id) => notifier.isOnline(id));
    if (friends.length > 0) notifier.presence(friends, presence);
  }

  query(caller: Caller, req: PresenceQuery): PresenceList {
    const { store, notifier } = this.deps;
    const ids = requireIds('user_ids', req.userIds, 1000);
    const presences: Presence[] = [];
    for (const id of ids) {
      if (id !== caller.userId && !isFriend(store, caller.userId, id) && !store.groups.areCoMembers(caller.userId, id)) continue;
      const user = store.users.byId(id);
      if (!user) continue;
      presences.push(create(PresenceSchema, { userId: big(id), online: notifier.isOnline(id), lastSeen: big(user.last_seen) }));
    }
    return create(PresenceListSchema, { presences });
  }
}
