/**
 * Operator commands on a server's store (the admin CLI). They work while a
 * server runs (SQLite WAL allows a second connection; PostgreSQL is shared by
 * design); a running server applies a disable at the user's next login and
 * ends open sessions at its next sweep.
 */
import type { ScryptParams } from '../config';
import { addUser as addUserOp, listUsers as listUsersOp, setDisabled, setPassword } from '../operations/accounts';
import type { Store, UserRow } from '../storage/store';
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
  const { value } = await store.write(addUserOp, { username, passwordHash, nickname: nick }, Date.now());
  return summary(value);
}

export async function listUsers(store: Store): Promise<UserSummary[]> {
  return (await store.read(listUsersOp, null, Date.now())).map(summary);
}

export async function setUserDisabled(store: Store, username: string, disabled: boolean): Promise<UserSummary> {
  const { value } = await store.write(setDisabled, { username, disabled }, Date.now());
  return summary(value);
}

export async function setUserPassword(store: Store, scrypt: ScryptParams, username: string, password: string): Promise<void> {
  requireLength('password', password, 8, 256);
  const passwordHash = await hashPassword(password, scrypt);
  await store.write(setPassword, { username, passwordHash }, Date.now());
}
