/**
 * Registration, password and device-token login, logout, and the operator's
 * account commands. The hash runs on the thread pool (scrypt is async).
 * Guessing and registration limits are applied around these calls, at the
 * network boundary (server/limits).
 */
import { create } from '@bufbuild/protobuf';
import {
  LoginResponseSchema,
  ResultCode,
  type DeviceInfo,
  type LoginRequest,
  type LoginResponse,
  type RegisterRequest,
} from '../../shared/protocol';
import { disabledAmong, loginCandidate, loginWithToken, recordLogin, register, revokeDeviceToken, usernameTaken, type LoginView } from '../operations/accounts';
import { renderProfile } from '../operations/render';
import type { ServiceDeps } from './deps';
import { fail, invalid } from './errors';
import { hashPassword, hashToken, newDeviceToken, verifyPassword } from './password';
import { big, requireLength, requireText, requireUsername } from './validate';

export interface LoginOutcome {
  response: LoginResponse;
  userId: number;
  deviceId: string;
  deviceName: string;
  kickOthers: boolean;
}

function checkDevice(device: DeviceInfo | undefined): { id: string; name: string; platform: string } {
  if (!device) throw invalid('device', 'device is required');
  requireText('device.device_id', device.deviceId, 1, 128);
  const name = device.deviceName === '' ? 'unnamed device' : requireText('device.device_name', device.deviceName, 1, 64);
  const platform = device.platform === '' ? '' : requireText('device.platform', device.platform, 1, 32);
  return { id: device.deviceId, name, platform };
}

export class AccountService {
  /** A hash to verify against when the user does not exist, so timing does not tell. */
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: ServiceDeps) {}

  async register(req: RegisterRequest): Promise<LoginOutcome> {
    const username = requireUsername('username', req.username);
    requireLength('password', req.password, 8, 256);
    const nickname = req.nickname === '' ? username : requireText('nickname', req.nickname, 1, 64);
    const device = checkDevice(req.device);
    const { run, config, logger } = this.deps;
    if (await run.read(usernameTaken, username)) throw fail(ResultCode.USERNAME_TAKEN, 'username taken');
    const passwordHash = await hashPassword(req.password, config.scrypt);
    const token = newDeviceToken();
    const view = await run.write(register, { username, passwordHash, nickname, deviceId: device.id, deviceName: device.name, platform: device.platform, tokenHash: hashToken(token) });
    logger.info({ userId: view.user.id }, 'user registered');
    return this.outcome(view, token, device, false);
  }

  async login(req: LoginRequest): Promise<LoginOutcome> {
    if (req.username === '') throw invalid('username', 'username is required');
    const device = checkDevice(req.device);
    const { run } = this.deps;
    switch (req.credential.case) {
      case 'password': {
        const password = req.credential.value;
        const { user } = await run.read(loginCandidate, { username: req.username });
        const ok = user ? await verifyPassword(password, user.password_hash) : await this.burnDummy(password);
        if (!user || !ok) throw fail(ResultCode.BAD_CREDENTIALS, 'bad credentials');
        if (user.disabled) throw fail(ResultCode.ACCOUNT_DISABLED, 'account disabled');
        const token = newDeviceToken();
        const view = await run.write(recordLogin, { userId: user.id, deviceId: device.id, deviceName: device.name, platform: device.platform, tokenHash: hashToken(token) });
        return this.outcome(view, token, device, req.kickOtherSessions);
      }
      case 'deviceToken': {
        // The check and the login's bookkeeping in one transaction (what an app does at every reconnect).
        const token = req.credential.value;
        const view = await run.write(loginWithToken, { username: req.username, deviceId: device.id, deviceName: device.name, platform: device.platform, tokenHash: hashToken(token) });
        return this.outcome(view, token, device, req.kickOtherSessions);
      }
      case undefined:
        throw invalid('credential', 'password or device_token is required');
    }
  }

  async logout(userId: number, deviceId: string, revoke: boolean): Promise<void> {
    if (revoke) await this.deps.run.write(revokeDeviceToken, { userId, deviceId });
  }

  /** Of the users online here, those the operator has disabled since they logged in. */
  disabledAmong(userIds: number[]): Promise<number[]> {
    return this.deps.run.read(disabledAmong, userIds);
  }

  private outcome(view: LoginView, token: string, device: { id: string; name: string }, kickOthers: boolean): LoginOutcome {
    const response = create(LoginResponseSchema, {
      userId: big(view.user.id),
      deviceToken: token,
      profile: renderProfile(view.user),
      syncHead: big(view.syncHead),
      serverTime: big(this.deps.clock.now()),
      maxAttachmentSize: big(this.deps.config.maxAttachmentBytes),
      maxAttachmentsPerMessage: this.deps.config.maxAttachmentsPerMessage,
    });
    return { response, userId: view.user.id, deviceId: device.id, deviceName: device.name, kickOthers };
  }

  private async burnDummy(password: string): Promise<boolean> {
    this.dummyHash ??= hashPassword('not a real password', this.deps.config.scrypt);
    await verifyPassword(password, await this.dummyHash);
    return false;
  }
}
