/** Profiles: read (visible to self, friends, co-members), update, exact-username search. */
import { create } from '@bufbuild/protobuf';
import {
  ProfileListSchema,
  SyncDomain,
  type Profile,
  type ProfileGetRequest,
  type ProfileList,
  type ProfileUpdateRequest,
  type UserSearchRequest,
} from '../../shared/protocol';
import { canSeeProfile, profileAudience } from './access';
import type { Caller, ServiceDeps } from './deps';
import { renderProfile, renderPublicProfile } from './render';
import { requireIds, requireLength, requireText } from './validate';
import { invalid } from './errors';

export class ProfileService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Profiles the caller may see; others are silently left out. */
  get(caller: Caller, req: ProfileGetRequest): ProfileList {
    const { store } = this.deps;
    const ids = requireIds('user_ids', req.userIds, 500);
    const profiles: Profile[] = [];
    for (const id of ids) {
      const user = store.users.byId(id);
      if (user && canSeeProfile(store, caller.userId, id)) profiles.push(renderProfile(user));
    }
    return create(ProfileListSchema, { profiles });
  }

  update(caller: Caller, req: ProfileUpdateRequest): Profile {
    const { store, events, clock } = this.deps;
    if (req.nickname !== undefined) requireText('nickname', req.nickname, 1, 64);
    if (req.avatar !== undefined) requireText('avatar', req.avatar, 0, 512);
    if (req.signature !== undefined) requireLength('signature', req.signature, 0, 200);
    return events.commit(() => {
      const user = store.users.byId(caller.userId)!;
      store.users.updateProfile(
        user.id,
        { nickname: req.nickname ?? user.nickname, avatar: req.avatar ?? user.avatar, signature: req.signature ?? user.signature },
        clock.now(),
      );
      const profile = renderProfile(store.users.byId(user.id)!);
      events.appendToMany(profileAudience(store, user.id), SyncDomain.PROFILES, { case: 'profile', value: profile });
      return profile;
    });
  }

  /** Exact username; strangers get the public part (no signature). Disabled users are not found. */
  search(caller: Caller, req: UserSearchRequest): ProfileList {
    const { store } = this.deps;
    const name = req.username.trim().toLowerCase();
    if (name === '') throw invalid('username', 'username is required');
    const user = store.users.byUsername(name);
    if (!user || user.disabled) return create(ProfileListSchema, { profiles: [] });
    const profile = canSeeProfile(store, caller.userId, user.id) ? renderProfile(user) : renderPublicProfile(user);
    return create(ProfileListSchema, { profiles: [profile] });
  }
}
