/** Profiles of users (friends, group co-members, myself). Newer `updatedAt` wins; equal re-applies are no-ops. */
import type { Profile } from '../../../shared/ipc';
import type { ProfileRepository } from './api';
import type { WireProfile } from '../wire';
import type { CacheContext } from './context';
import { num, profileFromWire } from '../wire';

interface ProfileRow {
  user_id: number;
  username: string;
  nickname: string;
  avatar: string;
  signature: string;
}

export function profileFromRow(r: ProfileRow): Profile {
  return { userId: r.user_id, username: r.username, nickname: r.nickname, avatar: r.avatar, signature: r.signature };
}

/** Only the ids that fit in one SQLite parameter list. */
const CHUNK = 500;

export class Profiles implements ProfileRepository {
  constructor(private readonly ctx: CacheContext) {}

  upsert(w: WireProfile): boolean {
    const p = profileFromWire(w);
    if (!Number.isSafeInteger(p.userId) || p.userId <= 0) return false;
    const info = this.ctx.db
      .stmt(
        `INSERT INTO profiles (user_id, username, nickname, avatar, signature, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, nickname = excluded.nickname, avatar = excluded.avatar,
           signature = excluded.signature, updated_at = excluded.updated_at
         WHERE excluded.updated_at >= profiles.updated_at
           AND (profiles.username, profiles.nickname, profiles.avatar, profiles.signature, profiles.updated_at)
               IS NOT (excluded.username, excluded.nickname, excluded.avatar, excluded.signature, excluded.updated_at)`,
      )
      .run(p.userId, p.username, p.nickname, p.avatar, p.signature, num(w.updatedAt));
    return info.changes > 0;
  }

  upsertMany(profiles: readonly WireProfile[]): Profile[] {
    return this.ctx.db.transaction(() => {
      const changed: Profile[] = [];
      for (const w of profiles) if (this.upsert(w)) changed.push(profileFromWire(w));
      return changed;
    });
  }

  get(userId: number): Profile | undefined {
    const r = this.ctx.db.stmt<[number], ProfileRow>(`SELECT * FROM profiles WHERE user_id = ?`).get(userId);
    return r ? profileFromRow(r) : undefined;
  }

  getMany(userIds: readonly number[]): Profile[] {
    const out: Profile[] = [];
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const ids = JSON.stringify(userIds.slice(i, i + CHUNK));
      out.push(
        ...this.ctx.db
          .stmt<[string], ProfileRow>(`SELECT * FROM profiles WHERE user_id IN (SELECT value FROM json_each(?))`)
          .all(ids)
          .map(profileFromRow),
      );
    }
    return out;
  }

  missing(userIds: readonly number[]): number[] {
    const have = new Set(this.getMany(userIds).map((p) => p.userId));
    return [...new Set(userIds)].filter((id) => !have.has(id));
  }
}
