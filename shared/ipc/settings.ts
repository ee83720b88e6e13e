import type { ServerEndpoint, Settings } from './types';

/** Settings of a fresh installation; the core persists changes, the UI shows these until it has the real ones. */
export function defaultSettings(servers: readonly ServerEndpoint[] = []): Settings {
  return {
    language: 'system',
    theme: 'system',
    notifications: { privacy: 'sender', sound: true },
    media: { autoDownloadMiB: 10, cacheLimitMiB: 2048 },
    closeToTray: true,
    startHidden: false,
    startAtLogin: false,
    spellcheck: { enabled: true, languages: [] },
    proxy: { type: 'none', host: '', port: 1080, username: '', password: '' },
    updateChannel: 'stable',
    servers: servers.map((s) => ({ ...s })),
  };
}

/** A partial update of the settings (`updateSettings`); `notifications` and `media` may be partial too. */
export type SettingsPatch = Partial<Omit<Settings, 'notifications' | 'media'>> & {
  notifications?: Partial<Settings['notifications']>;
  media?: Partial<Settings['media']>;
};

/** `settings` with `patch` applied: fields the patch leaves undefined keep their value; the nested groups merge field by field. */
export function applySettingsPatch(settings: Settings, patch: SettingsPatch): Settings {
  const defined = Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined && k !== 'notifications' && k !== 'media'));
  return {
    ...settings,
    ...defined,
    notifications: { ...settings.notifications, ...(patch.notifications ?? {}) },
    media: { ...settings.media, ...(patch.media ?? {}) },
  } as Settings;
}
