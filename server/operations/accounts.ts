/** Accounts and devices: registration, login bookkeeping, logout, and the operator's commands. */
import { ResultCode, SyncDomain } from '../../shared/protocol';
import type { UserRow } from '../storage/store';
import { fail } from '../services/errors';
import { readOperation, writeOperation } from './operation';
import { renderProfile } from './render';

/** A logged-in user as the login answer shows them. */
export interface LoginView {
  user: UserRow;
  syncHead: number;
}

export const usernameTaken = readOperation('accounts.usernameTaken', async ({ tx }, username: string) => (await tx.users.byUsername(username)) !== undefined);

/** The account a password login names, to verify the password against (on the caller's side: hashing is not the store's work). */
export const loginCandidate = readOperation('accounts.loginCandidate', async ({ tx }, a: { username: string }) => ({ user: await tx.users.byUsername(a.username) }));

export interface NewAccount {
  username: string;
  passwordHash: string;
  nickname: string;
  deviceId: string;
  deviceName: string;
  platform: string;
  tokenHash: Uint8Array;
}

export const register = writeOperation('accounts.register', async ({ tx, events, now }, a: NewAccount): Promise<LoginView> => {
  // Checked again here: another registration may have won while the caller hashed.
  if (await tx.users.byUsername(a.username)) throw fail(ResultCode.USERNAME_TAKEN, 'username taken');
  const id = await tx.users.create({ username: a.username, passwordHash: a.passwordHash, nickname: a.nickname, now });
  await tx.devices.upsert({ userId: id, deviceId: a.deviceId, deviceName: a.deviceName, platform: a.platform, tokenHash: a.tokenHash, now });
  const user = (await tx.users.byId(id))!;
  events.append(id, SyncDomain.PROFILES, { case: 'profile', value: renderProfile(user) });
  await events.allocate();
  return { user, syncHead: await tx.sequences.head(id) };
});

/** A verified login: remembers the device (and its new token hash). */
export const recordLogin = writeOperation(
  'accounts.recordLogin',
  async ({ tx, now }, a: { userId: number; deviceId: string; deviceName: string; platform: string; tokenHash: Uint8Array }): Promise<LoginView> => {
    await tx.devices.upsert({ userId: a.userId, deviceId: a.deviceId, deviceName: a.deviceName, platform: a.platform, tokenHash: a.tokenHash, now });
    const user = (await tx.users.byId(a.userId))!;
    return { user, syncHead: await tx.sequences.head(a.userId) };
  },
);

/**
 * A login with a device token, whole in one transaction: the account, the
 * token check (against the row it updates) and the device's login time. The
 * caller hashes the token (hashing is not the store's work). On PostgreSQL
 * that is four round trips where a read of the account and device followed
 * by recordLogin took seven.
 */
export const loginWithToken = writeOperation(
  'accounts.loginWithToken',
  async ({ tx, now }, a: { username: string; deviceId: string; deviceName: string; platform: string; tokenHash: Uint8Array }): Promise<LoginView> => {
    const user = await tx.users.byUsername(a.username);
    const renewed = user !== undefined && (await tx.devices.renew({ userId: user.id, deviceId: a.deviceId, deviceName: a.deviceName, platform: a.platform, tokenHash: a.tokenHash, now }));
    if (!user || !renewed) throw fail(ResultCode.TOKEN_INVALID, 'device token invalid');
    // After the token check, so that only the device's owner learns the account is disabled (the write is rolled back).
    if (user.disabled) throw fail(ResultCode.ACCOUNT_DISABLED, 'account disabled');
    return { user, syncHead: await tx.sequences.head(user.id) };
  },
);

export const revokeDeviceToken = writeOperation('accounts.revokeDeviceToken', async ({ tx }, a: { userId: number; deviceId: string }) => {
  await tx.devices.revokeToken(a.userId, a.deviceId);
});

/** Which of these (online) users the operator disabled. */
export const disabledAmong = readOperation('accounts.disabledAmong', ({ tx }, ids: number[]) => tx.users.disabledAmong(ids));

// Operator commands (the admin CLI).

export const addUser = writeOperation('admin.addUser', async ({ tx, now }, a: { username: string; passwordHash: string; nickname: string }) => {
  if (await tx.users.byUsername(a.username)) throw fail(ResultCode.USERNAME_TAKEN, `username ${a.username} is taken`);
  const id = await tx.users.create({ username: a.username, passwordHash: a.passwordHash, nickname: a.nickname, now });
  return (await tx.users.byId(id))!;
});

export const listUsers = readOperation('admin.listUsers', ({ tx }, _: null) => tx.users.list());

export const setDisabled = writeOperation('admin.setDisabled', async ({ tx }, a: { username: string; disabled: boolean }) => {
  const user = await tx.users.byUsername(a.username);
  if (!user) throw fail(ResultCode.NOT_FOUND, `no user ${a.username}`);
  await tx.users.setDisabled(user.id, a.disabled);
  // Disabling also revokes device tokens: a reconnect needs the password (and then fails).
  if (a.disabled) await tx.devices.revokeAll(user.id);
  return (await tx.users.byId(user.id))!;
});

export const setPassword = writeOperation('admin.setPassword', async ({ tx }, a: { username: string; passwordHash: string }) => {
  const user = await tx.users.byUsername(a.username);
  if (!user) throw fail(ResultCode.NOT_FOUND, `no user ${a.username}`);
  await tx.users.setPasswordHash(user.id, a.passwordHash);
  await tx.devices.revokeAll(user.id);
});
