/** Profiles: read (visible to self, friends, co-members), update, exact-username search. */
import { create } from '@bufbuild/protobuf';
import { ProfileListSchema, SyncDomain, type Profile, type ProfileList } from '../../shared/protocol';
import type { Caller } from '../services/deps';
import { canSeeProfile, profileAudience } from './access';
import { readOperation, writeOperation } from './operation';
import { renderProfile, renderPublicProfile } from './render';

/** Profiles the caller may see; others are silently left out. */
export const getProfiles = readOperation('profiles.get', async ({ tx }, a: { caller: Caller; userIds: number[] }): Promise<ProfileList> => {
  const profiles: Profile[] = [];
  for (const id of a.userIds) {
    const user = await tx.users.byId(id);
    if (user && (await canSeeProfile(tx, a.caller.userId, id))) profiles.push(renderProfile(user));
  }
  return create(ProfileListSchema, { profiles });
});

export const updateProfile = writeOperation(
  'profiles.update',
  async ({ tx, events, now }, a: { caller: Caller; nickname?: string; avatar?: string; signature?: string }): Promise<Profile> => {
    const user = (await tx.users.byId(a.caller.userId))!;
    await tx.users.updateProfile(user.id, { nickname: a.nickname ?? user.nickname, avatar: a.avatar ?? user.avatar, signature: a.signature ?? user.signature }, now);
    const profile = renderProfile((await tx.users.byId(user.id))!);
    events.appendToMany(await profileAudience(tx, user.id), SyncDomain.PROFILES, { case: 'profile', value: profile });
    return profile;
  },
);

/** Exact username; strangers get the public part (no signature). Disabled users are not found. */
export const searchUser = readOperation('profiles.search', async ({ tx }, a: { caller: Caller; username: string }): Promise<ProfileList> => {
  const user = await tx.users.byUsername(a.username);
  if (!user || user.disabled) return create(ProfileListSchema, { profiles: [] });
  const profile = (await canSeeProfile(tx, a.caller.userId, user.id)) ? renderProfile(user) : renderPublicProfile(user);
  return create(ProfileListSchema, { profiles: [profile] });
});
