/**
 * Accounts known on this device: `accounts.json` in the data directory
 * (mode 0600). Device tokens are stored sealed (AES-256-GCM under a subkey
 * of the data key, bound to the account id: ./data-key.ts), never in clear;
 * a token from an older file is sealed on load. A token that cannot be
 * unsealed (the data key was replaced) is dropped: that account signs in
 * with its password again. Tokens never leave this module except to the
 * login request, and are never logged.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { AccountSummary, ServerEndpoint } from '../../shared/ipc';
import type { SecretSealer } from './data-key';
import { readJsonFile, writeJsonFile } from './json-file';

const endpointSchema = z.object({ host: z.string(), port: z.number().int(), publicKey: z.string() });
const accountSchema = z.object({
  userId: z.number().int().positive(),
  username: z.string(),
  nickname: z.string(),
  avatar: z.string(),
  server: z.string(),
  endpoints: z.array(endpointSchema),
  deviceToken: z.string().optional(),
  lastLoginAt: z.number(),
});
/** On disk: the token sealed (`deviceTokenSealed`); `deviceToken` only in files from before sealing. */
const storedAccountSchema = accountSchema.extend({ deviceTokenSealed: z.string().optional() });
const fileSchema = z.object({ deviceId: z.string().min(1), accounts: z.array(storedAccountSchema) });

export type StoredAccount = z.infer<typeof accountSchema>;

export class AccountStore {
  private readonly path: string;
  private data: { deviceId: string; accounts: StoredAccount[] };
  /** Accounts whose sealed token could not be opened (the data key changed) when the file was read. */
  readonly lostTokens: number[] = [];

  constructor(
    dataDir: string,
    private readonly sealer: SecretSealer,
  ) {
    this.path = join(dataDir, 'accounts.json');
    const parsed = fileSchema.safeParse(readJsonFile(this.path));
    if (!parsed.success) {
      this.data = { deviceId: randomUUID(), accounts: [] };
      this.save();
      return;
    }
    let rewrite = false;
    const accounts = parsed.data.accounts.map(({ deviceTokenSealed, ...account }) => {
      if (deviceTokenSealed !== undefined) {
        const token = this.sealer.open(deviceTokenSealed, tokenContext(account.userId));
        if (token === null) {
          this.lostTokens.push(account.userId);
          rewrite = true;
          return { ...account, deviceToken: undefined };
        }
        return { ...account, deviceToken: token };
      }
      if (account.deviceToken !== undefined) rewrite = true; // a token in clear, from before sealing
      return account;
    });
    this.data = { deviceId: parsed.data.deviceId, accounts: accounts.map((a) => (a.deviceToken === undefined ? dropUndefined(a) : a)) };
    if (rewrite) this.save();
  }

  /** Stable per installation: the server ties device tokens to it. */
  get deviceId(): string {
    return this.data.deviceId;
  }

  list(): AccountSummary[] {
    return [...this.data.accounts].sort((a, b) => b.lastLoginAt - a.lastLoginAt).map(summary);
  }

  byUsername(username: string): StoredAccount | undefined {
    return this.data.accounts.find((a) => a.username === username);
  }

  byId(userId: number): StoredAccount | undefined {
    return this.data.accounts.find((a) => a.userId === userId);
  }

  upsert(account: StoredAccount): void {
    this.data.accounts = [...this.data.accounts.filter((a) => a.userId !== account.userId), account];
    this.save();
  }

  setToken(userId: number, deviceToken: string | undefined): void {
    const account = this.byId(userId);
    if (!account) return;
    if (deviceToken === undefined) delete account.deviceToken;
    else account.deviceToken = deviceToken;
    this.save();
  }

  remove(userId: number): boolean {
    const before = this.data.accounts.length;
    this.data.accounts = this.data.accounts.filter((a) => a.userId !== userId);
    if (this.data.accounts.length !== before) this.save();
    return this.data.accounts.length !== before;
  }

  private save(): void {
    const accounts = this.data.accounts.map(({ deviceToken, ...account }) =>
      deviceToken === undefined ? account : { ...account, deviceTokenSealed: this.sealer.seal(deviceToken, tokenContext(account.userId)) },
    );
    writeJsonFile(this.path, { deviceId: this.data.deviceId, accounts }, 0o600);
  }
}

export function summary(account: StoredAccount): AccountSummary {
  return {
    userId: account.userId,
    username: account.username,
    nickname: account.nickname,
    avatar: account.avatar,
    server: account.server,
    canAutoLogin: account.deviceToken !== undefined && account.deviceToken !== '',
    lastLoginAt: account.lastLoginAt,
  };
}

export function sameEndpoint(a: ServerEndpoint, b: ServerEndpoint): boolean {
  return a.host === b.host && a.port === b.port && a.publicKey === b.publicKey;
}

const tokenContext = (userId: number) => `device token of user ${userId}`;

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
