/**
 * Accounts known on this device: `accounts.json` in the data directory
 * (mode 0600, it holds device tokens). Tokens never leave this module except
 * to the login request, and are never logged.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { AccountSummary, ServerEndpoint } from '../../shared/ipc';
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
const fileSchema = z.object({ deviceId: z.string().min(1), accounts: z.array(accountSchema) });

export type StoredAccount = z.infer<typeof accountSchema>;

export class AccountStore {
  private readonly path: string;
  private data: z.infer<typeof fileSchema>;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'accounts.json');
    const parsed = fileSchema.safeParse(readJsonFile(this.path));
    this.data = parsed.success ? parsed.data : { deviceId: randomUUID(), accounts: [] };
    if (!parsed.success) this.save();
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
    writeJsonFile(this.path, this.data, 0o600);
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
