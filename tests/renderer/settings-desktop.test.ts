// The desktop parts of the settings screen: updates (skip a version, why
// updates are off). The Electron side is tested in tests/main/.
import { describe, expect, it } from 'vitest';
import SettingsPane from '../../renderer/components/settings/SettingsPane.vue';
import { useSettingsStore } from '../../renderer/stores/settings';
import type { UpdateStatus } from '../../shared/ipc';
import { testSettings } from './fake-api';
import { flush, mountWith, setupEnv } from './setup';

const base: UpdateStatus = { state: 'ready', channel: 'stable', currentVersion: '1.0.0', availableVersion: '2.0.0', percent: 100 };

describe('SettingsPane: updates', () => {
  it('offers to skip a downloaded version, and to take a skipped one after all', async () => {
    const env = setupEnv({ skipUpdate: ({ version }) => (version ? { ...base, state: 'available', skipped: true } : base) });
    const store = useSettingsStore();
    store.settings = testSettings;
    store.update = base;
    const w = mountWith(env, SettingsPane);
    expect(w.get('[data-test="update-status"]').text()).toBe('Version 2.0.0 is ready to install');
    await w.get('[data-test="skip-update"]').trigger('click');
    await flush();
    expect(env.fake.calls.skipUpdate).toHaveBeenCalledWith({ version: '2.0.0' });
    expect(w.get('[data-test="update-status"]').text()).toBe('Version 2.0.0 is skipped');
    expect(w.find('[data-test="skip-update"]').exists()).toBe(false);
    expect(w.text()).not.toContain('Restart and install');
    await w.get('[data-test="unskip-update"]').trigger('click');
    await flush();
    expect(env.fake.calls.skipUpdate).toHaveBeenLastCalledWith({ version: null });
    expect(w.text()).toContain('Restart and install');
  });

  it('says why updates are off, in both languages', async () => {
    for (const [locale, admin, pm] of [
      ['en', 'turned off by your administrator', 'package manager'],
      ['zh-CN', '管理员已关闭自动更新', '软件包管理器'],
    ] as const) {
      const env = setupEnv({}, locale);
      const store = useSettingsStore();
      store.settings = testSettings;
      store.update = { state: 'disabled', disabledBy: 'admin', channel: 'stable', currentVersion: '1.0.0' };
      const w = mountWith(env, SettingsPane);
      expect(w.get('[data-test="update-status"]').text()).toContain(admin);
      store.update = { state: 'disabled', disabledBy: 'package-manager', channel: 'stable', currentVersion: '1.0.0' };
      await flush();
      expect(w.get('[data-test="update-status"]').text()).toContain(pm);
    }
  });
});
