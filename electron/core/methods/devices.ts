/** The contract's devices and privacy methods: the account's signed-in devices, signing them out, last-seen privacy. */
import type { DeviceView, LastSeenSetting, PrivacySettings } from '../../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../../shared/ipc/api';
import { Command } from '../../../shared/protocol';
import { PRIVACY_LAST_SEEN } from '../cache/sync-state';
import type { CoreEmitter } from '../events';
import { lastSeenVisibility, num } from '../wire';
import type { SessionSlot } from './session-slot';

type DeviceMethodName = 'listDevices' | 'signOutDevice' | 'signOutOtherDevices' | 'getPrivacy' | 'setPrivacy';

export class DeviceMethods implements Pick<CoreMethods, DeviceMethodName> {
  constructor(
    private readonly sessions: SessionSlot,
    private readonly events: CoreEmitter,
  ) {}

  listDevices = async (): Promise<DeviceView[]> => {
    const list = await this.sessions.link().request(Command.DEVICE_LIST, {});
    return list.devices.map((d) => ({
      deviceId: d.deviceId,
      name: d.deviceName,
      platform: d.platform,
      createdAt: num(d.createdAt),
      lastActive: num(d.lastActive),
      online: d.online,
      current: d.current,
    }));
  };

  signOutDevice = async (args: ParsedArgs<'signOutDevice'>): Promise<void> => {
    await this.sessions.link().request(Command.DEVICE_SIGN_OUT, { deviceId: args.deviceId, allOthers: false });
  };

  signOutOtherDevices = async (): Promise<{ signedOut: number }> => {
    const res = await this.sessions.link().request(Command.DEVICE_SIGN_OUT, { deviceId: '', allOthers: true });
    return { signedOut: res.signedOut };
  };

  /** From the server when online (and remembered); offline, what it last said. */
  getPrivacy = async (): Promise<PrivacySettings> => {
    const link = this.sessions.readyLink();
    if (link) return this.remember((await link.request(Command.PRIVACY_GET, {})).lastSeen);
    const stored = this.sessions.account().cache.syncState.getMeta<string>(PRIVACY_LAST_SEEN);
    return { lastSeen: lastSeenVisibility.words.find((w) => w === stored) ?? 'everyone' };
  };

  setPrivacy = async (args: ParsedArgs<'setPrivacy'>): Promise<PrivacySettings> => {
    const link = this.sessions.link();
    const res = await link.request(Command.PRIVACY_SET, { lastSeen: lastSeenVisibility.toWire(args.lastSeen) });
    const privacy = this.remember(res.lastSeen);
    this.events.emit('privacyChanged', privacy);
    // Our own setting also decides whose presence we see.
    void this.sessions.account().presence.refresh(link);
    return privacy;
  };

  private remember(wire: number): PrivacySettings {
    const lastSeen: LastSeenSetting = lastSeenVisibility.fromWire(wire) ?? 'everyone';
    this.sessions.account().cache.syncState.setMeta(PRIVACY_LAST_SEEN, lastSeen);
    return { lastSeen };
  }
}
