/**
 * The account's devices (settings): the signed-in list, and signing a device
 * out from another one. Signing out revokes the device's token first (it
 * cannot log back in without the password), then ends its live sessions on
 * every node with KICKED (reason TOKEN_REVOKED, naming the device that did it).
 */
import { create } from '@bufbuild/protobuf';
import { DeviceListSchema, DeviceSchema, DeviceSignOutResultSchema, Kicked_Reason, type DeviceList, type DeviceSignOutRequest, type DeviceSignOutResult } from '../../shared/protocol';
import { signedInDevices, signOutDevices, touchDevice } from '../operations/devices';
import type { ServiceDeps } from './deps';
import { invalid } from './errors';
import { big, requireText } from './validate';

/** The device asking. */
export interface DeviceCaller {
  userId: number;
  deviceId: string;
  deviceName: string;
}

export class DeviceService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(caller: DeviceCaller): Promise<DeviceList> {
    const [rows, online] = await Promise.all([this.deps.run.read(signedInDevices, caller.userId), this.deps.notifier.onlineDevices(caller.userId)]);
    const devices = rows
      .map((r) =>
        create(DeviceSchema, {
          deviceId: r.device_id,
          deviceName: r.device_name,
          platform: r.platform ?? '',
          createdAt: big(r.created_at),
          lastActive: big(Math.max(r.last_active ?? 0, r.last_login)),
          online: online.has(r.device_id) || r.device_id === caller.deviceId,
          current: r.device_id === caller.deviceId,
        }),
      )
      .sort((a, b) => Number(b.current) - Number(a.current) || Number(b.online) - Number(a.online) || Number(b.lastActive - a.lastActive));
    return create(DeviceListSchema, { devices });
  }

  async signOut(caller: DeviceCaller, req: DeviceSignOutRequest): Promise<DeviceSignOutResult> {
    let deviceId: string | undefined;
    if (req.allOthers) {
      if (req.deviceId !== '') throw invalid('device_id', 'device_id must be empty with all_others');
    } else {
      deviceId = requireText('device_id', req.deviceId, 1, 128);
      if (deviceId === caller.deviceId) throw invalid('device_id', 'this is the current device: use LOGOUT');
    }
    const revoked = await this.deps.run.write(signOutDevices, { userId: caller.userId, currentDeviceId: caller.deviceId, ...(deviceId !== undefined ? { deviceId } : {}) });
    // A device named by id is kicked even if its token was already gone: a session of it may still be live.
    const kicked = deviceId !== undefined ? [deviceId] : revoked;
    for (const id of kicked) this.deps.notifier.kickDevice(caller.userId, id, Kicked_Reason.TOKEN_REVOKED, caller.deviceName);
    this.deps.logger.info({ userId: caller.userId, devices: revoked.length }, 'devices signed out');
    return create(DeviceSignOutResultSchema, { signedOut: revoked.length });
  }

  /** A logged-in session of the device ended. */
  sessionEnded(userId: number, deviceId: string): Promise<void> {
    return this.deps.run.write(touchDevice, { userId, deviceId });
  }
}
