/** Profiles: read (visible to self, friends, co-members), update, exact-username search (server/operations/profiles.ts). */
import type { Profile, ProfileGetRequest, ProfileList, ProfileUpdateRequest, UserSearchRequest } from '../../shared/protocol';
import { getProfiles, searchUser, updateProfile } from '../operations/profiles';
import type { Caller, ServiceDeps } from './deps';
import { invalid } from './errors';
import { requireIds, requireLength, requireText } from './validate';

export class ProfileService {
  constructor(private readonly deps: ServiceDeps) {}

  get(caller: Caller, req: ProfileGetRequest): Promise<ProfileList> {
    return this.deps.run.read(getProfiles, { caller, userIds: requireIds('user_ids', req.userIds, 500) });
  }

  update(caller: Caller, req: ProfileUpdateRequest): Promise<Profile> {
    if (req.nickname !== undefined) requireText('nickname', req.nickname, 1, 64);
    if (req.avatar !== undefined) requireText('avatar', req.avatar, 0, 512);
    if (req.signature !== undefined) requireLength('signature', req.signature, 0, 200);
    return this.deps.run.write(updateProfile, { caller, nickname: req.nickname, avatar: req.avatar, signature: req.signature });
  }

  search(caller: Caller, req: UserSearchRequest): Promise<ProfileList> {
    const username = req.username.trim().toLowerCase();
    if (username === '') throw invalid('username', 'username is required');
    return this.deps.run.read(searchUser, { caller, username });
  }
}
