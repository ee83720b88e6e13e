/**
 * Operator commands on a data directory's database. They work while a server
 * runs (SQLite WAL allows a second connection); a running server applies a
 * disable at the user's next login (existing sessions are not cut).
 */
import { ResultCode } from '../../shared/protocol';
import type { ScryptParams } from '../config';
import type { Store, UserRow } from '../storage/store';
import { fail } from './errors';
import { hashPassword } from './password';
import { requireLength, requireText, requireUsername } from './validate';

export interface UserSummary {
  id: number;
  username: string;
  nickname: string;
  disabled: boolean;
  createdAt: string;
}

function summary(u: UserRow): UserSummary {
  return { id: u.id, username: u.username, nickname: u.nickname, disabled: u.disabled !== 0, createdAt: new Date(u.created_at).toISOString() };
}

export async function addUser(store: Store, scrypt: ScryptParams, username: string, password: string, nickname?: string): Promise<UserSummary> {
  requireUsername('username', username);
  requireLength('password', password, 8, 256);
  const nick = nickname ? requireText('nickname', nickname, 1, 64) : username;
  const passwordHash = await hashPassword(password, scrypt);
  return store.transaction(() => {
    if (store.users.byUsername(username)) throw fail(ResultCode.USERNAME_TAKEN, `username ${username} is taken`);
    const id = store.users.create({ username, passwordHash, nickname: nick, now: Date.now() });
    return summary(store.users.byId(id)!);
  });
}

export function listUsers(store: Store): UserSummary[] {
  return store.users.list().map(summary);
}

export function setUserDisabled(store: Store, username: string, disabled: boolean): UserSummary {
  return store.transaction(() => {
    const user = store.users.byUsername(username);
    if (!user) throw fail(ResultCode.NOT_FOUND, `no user ${username}`);
    store.users.setDisabled(user.id, disabled);
    // Disabling also revokes device tokens: a reconnect needs the password (and then fails).
    if (disabled) store.devices.revokeAll(user.id);
    return summary(store.users.byId(user.id)!);
  });
}

export async function setUserPassword(store: Store, scrypt: ScryptParams, username: string, password: string): Promise<void> {
  requireLength('password', password, 8, 256);
  const hash = await hashPassword(password, scrypt);
  store.transaction(() => {
    const user = store.users.byUsername(username);
    if (!user) throw fail(ResultCode.NOT_FOUND, `no user ${username}`);
    store.users.setPasswordHash(user.id, hash);
    store.devices.revokeAll(user.id);
  });
}
