/** The account's devices: the list shown in settings, signing devices out, when each was last active. */
import { ResultCode } from '../../shared/protocol';
import { fail } from '../services/errors';
import type { DeviceRow } from '../storage/store';
import { readOperation, writeOperation } from './operation';

/** Signed-in devices (a valid token): a device signed out, or never given a token again, is not listed. */
export const signedInDevices = readOperation('devices.signedIn', ({ tx }, userId: number): Promise<DeviceRow[]> => tx.devices.signedIn(userId));

/**
 * Revokes the token of one device (`deviceId`), or of every device but the
 * caller's (`deviceId` undefined). Returns the ids of the devices that were
 * signed in; the caller ends their live sessions.
 */
export const signOutDevices = writeOperation(
  'devices.signOut',
  async ({ tx }, a: { userId: number; currentDeviceId: string; deviceId?: string }): Promise<string[]> => {
    if (a.deviceId !== undefined) {
      const device = await tx.devices.get(a.userId, a.deviceId);
      if (!device) throw fail(ResultCode.NOT_FOUND, 'no such device');
      await tx.devices.revokeToken(a.userId, a.deviceId);
      return device.token_hash ? [a.deviceId] : [];
    }
    const others = (await tx.devices.signedIn(a.userId)).filter((d) => d.device_id !== a.currentDeviceId);
    for (const d of others) await tx.devices.revokeToken(a.userId, d.device_id);
    return others.map((d) => d.device_id);
  },
);

/** A session of the device ended: its "last active" time. */
export const touchDevice = writeOperation('devices.touch', async ({ tx, now }, a: { userId: number; deviceId: string }) => {
  await tx.devices.touch(a.userId, a.deviceId, now);
});
