import type { ServerEndpoint, Settings } from './types';

/** Settings of a fresh installation; the core persists changes, the UI shows these until it has the real ones. */
export function defaultSettings(servers: readonly ServerEndpoint[] = []): Settings {
  return {
    language: 'system',
    theme: 'system',
    notifications: { privacy: 'sender', sound: true },
    closeToTray: true,
    startHidden: false,
    startAtLogin: false,
    spellcheck: { enabled: true, languages: [] },
    proxy: { type: 'none', host: '', port: 1080, username: '', password: '' },
    updateChannel: 'stable',
    servers: servers.map((s) => ({ ...s })),
  };
}

/** A partial update of the settings (`updateSettings`); `notifications` may be partial too. */
export type SettingsPatch = Partial<Omit<Settings, 'notifications'>> & { notifications?: Partial<Settings['notifications']> };

/** `settings` with `patch` applied: fields the patch leaves undefined keep their value; notifications merge field by field. */
export function applySettingsPatch(settings: Settings, patch: SettingsPatch): Settings {
  const defined = Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined && k !== 'notifications'));
  return { ...settings, ...defined, notifications: { ...settings.notifications, ...(patch.notifications ?? {}) } } as Settings;
}
