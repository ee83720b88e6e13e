// The desktop parts of the settings screen (updates, start at login,
// spelling, proxy, debug log) and the links the shell asks the UI to open.
// The Electron side is tested in tests/main/.
import { describe, expect, it } from 'vitest';
import SettingsPane from '../../renderer/components/settings/SettingsPane.vue';
import ContactList from '../../renderer/components/contact/ContactList.vue';
import { useContactsStore, useLinksStore, useNavigationStore, useSessionStore, useSettingsStore } from '../../renderer/stores';
import { MessengerError, type UpdateStatus } from '../../shared/ipc';
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

const electronInfo = (spellcheckLanguages: string[] | null = ['de', 'en-GB', 'en-US']) => ({ name: 'Tern', version: '1.0.0', shell: 'electron' as const, platform: 'linux', desktop: { spellcheckLanguages, startAtLogin: true, debugLog: true } });

describe('SettingsPane: desktop conventions', () => {
  it('in the desktop app: start at login, spelling with its dictionaries, debug log export', async () => {
    const env = setupEnv({ updateSettings: (patch) => ({ ...testSettings, ...patch }) as never, exportDebugLog: () => ({ path: '/home/a/tern-debug.log' }) });
    const store = useSettingsStore();
    store.settings = testSettings;
    store.appInfo = electronInfo();
    const w = mountWith(env, SettingsPane);
    await w.get('[data-test="start-at-login"]').setValue(true);
    expect(env.fake.calls.updateSettings).toHaveBeenLastCalledWith({ startAtLogin: true });
    const select = w.get('[data-test="spell-languages"]').element as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['de', 'en-GB', 'en-US']);
    select.options[0]!.selected = true;
    select.options[2]!.selected = true;
    await w.get('[data-test="spell-languages"]').trigger('change');
    expect(env.fake.calls.updateSettings).toHaveBeenLastCalledWith({ spellcheck: { enabled: true, languages: ['de', 'en-US'] } });
    await w.get('[data-test="spellcheck"]').setValue(false);
    expect(env.fake.calls.updateSettings).toHaveBeenLastCalledWith({ spellcheck: { enabled: false, languages: ['de', 'en-US'] } });
    await w.get('[data-test="export-debug-log"]').trigger('click');
    await flush();
    expect(w.get('[data-test="debug-log-result"]').text()).toBe('Saved to /home/a/tern-debug.log');
  });

  it('macOS: the system picks the spelling languages; the web shell shows none of the desktop-only settings', async () => {
    const env = setupEnv({}, 'zh-CN');
    const store = useSettingsStore();
    store.settings = testSettings;
    store.appInfo = electronInfo(null);
    const w = mountWith(env, SettingsPane);
    expect(w.find('[data-test="spell-languages"]').exists()).toBe(false);
    expect(w.get('[data-test="settings-spelling"]').text()).toContain('macOS 按系统设置选择语言');
    store.appInfo = { name: 'Tern', version: '1.0.0', shell: 'web', platform: 'linux' };
    await flush();
    for (const t of ['settings-spelling', 'start-at-login', 'export-debug-log']) expect(w.find(`[data-test="${t}"]`).exists(), t).toBe(false);
    expect(w.find('[data-test="settings-network"]').exists()).toBe(true); // the proxy is the core's: the web shell has it too
  });

  it('network: a proxy is saved whole; a refused one shows why', async () => {
    let refuse = false;
    const env = setupEnv({
      updateSettings: (patch) => {
        if (refuse) throw new MessengerError({ code: 'INVALID_ARGUMENT', message: 'proxy host' });
        return { ...testSettings, ...patch } as never;
      },
    });
    const store = useSettingsStore();
    store.settings = testSettings;
    const w = mountWith(env, SettingsPane);
    expect(w.find('[data-test="proxy-host"]').exists()).toBe(false);
    await w.get('[data-test="proxy-type"]').setValue('socks5');
    expect((w.get('[data-test="proxy-save"]').element as HTMLButtonElement).disabled).toBe(true); // a proxy needs a host
    await w.get('[data-test="proxy-host"]').setValue(' proxy.corp.example ');
    await w.get('[data-test="proxy-port"]').setValue('1081');
    await w.get('[data-test="settings-network"] form').trigger('submit');
    await flush();
    expect(env.fake.calls.updateSettings).toHaveBeenLastCalledWith({ proxy: { type: 'socks5', host: 'proxy.corp.example', port: 1081, username: '', password: '' } });
    expect(w.get('[data-test="proxy-result"]').text()).toBe('Proxy saved');
    refuse = true;
    await w.get('[data-test="settings-network"] form').trigger('submit');
    await flush();
    expect(w.get('[data-test="proxy-result"]').classes()).toContain('error-text');
  });
});

describe('links (tern://, notifications)', () => {
  it('a user link shows a friend’s profile, or fills in “add friend”; before sign-in it waits', async () => {
    const env = setupEnv();
    const contacts = useContactsStore();
    contacts.applyFriends([{ userId: 5, username: 'bob', nickname: 'Bob', avatar: '', signature: '', state: 'friend', online: false, lastSeen: 0 }]);
    const links = useLinksStore();
    links.bind();
    const nav = useNavigationStore();
    useSessionStore().setSession(null);
    env.fake.emit('openUser', { username: 'carol' });
    expect(links.pending).toEqual({ kind: 'user', username: 'carol' });
    expect(nav.pane).toBe('chats');
    useSessionStore().setSession({ account: { userId: 1 }, profile: { userId: 1 } } as never);
    links.openPending();
    expect(nav.pane).toBe('contacts');
    const w = mountWith(env, ContactList, { props: { selected: null } });
    await flush();
    expect((w.get('[data-test="add-friend-username"]').element as HTMLInputElement).value).toBe('carol');
    env.fake.emit('openUser', { username: 'bob' });
    await flush();
    expect(w.emitted('update:selected')?.at(-1)).toEqual([5]);
  });
});
