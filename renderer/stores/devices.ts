import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DeviceView, LastSeenSetting } from '../../shared/ipc';
import { useApi } from '../api';

/** The account's signed-in devices and its last-seen privacy (both held by the server). */
export const useDevicesStore = defineStore('devices', () => {
  const devices = ref<DeviceView[]>([]);
  const lastSeen = ref<LastSeenSetting>('everyone');
  const loading = ref(false);

  async function loadDevices(): Promise<void> {
    loading.value = true;
    try {
      devices.value = await useApi().listDevices({});
    } finally {
      loading.value = false;
    }
  }

  async function signOut(deviceId: string): Promise<void> {
    await useApi().signOutDevice({ deviceId });
    devices.value = devices.value.filter((d) => d.deviceId !== deviceId);
    await loadDevices().catch(() => undefined);
  }

  async function signOutOthers(): Promise<number> {
    const { signedOut } = await useApi().signOutOtherDevices({});
    devices.value = devices.value.filter((d) => d.current);
    await loadDevices().catch(() => undefined);
    return signedOut;
  }

  async function loadPrivacy(): Promise<void> {
    lastSeen.value = (await useApi().getPrivacy({})).lastSeen;
  }

  async function setLastSeen(value: LastSeenSetting): Promise<void> {
    const prev = lastSeen.value;
    lastSeen.value = value;
    try {
      lastSeen.value = (await useApi().setPrivacy({ lastSeen: value })).lastSeen;
    } catch (err) {
      lastSeen.value = prev;
      throw err;
    }
  }

  function bind(): () => void {
    return useApi().onPrivacyChanged((p) => (lastSeen.value = p.lastSeen));
  }

  return { devices, lastSeen, loading, loadDevices, signOut, signOutOthers, loadPrivacy, setLastSeen, bind };
});
