/** App settings (shared/ipc `Settings`) in `settings.json` of the data directory. */
import { join } from 'node:path';
import { z } from 'zod';
import { defaultSettings, type ServerEndpoint, type Settings, type SettingsPatch } from '../../shared/ipc';
import { readJsonFile, writeJsonFile } from './json-file';

const settingsSchema = z.object({
  language: z.enum(['system', 'en', 'zh-CN']),
  theme: z.enum(['system', 'light', 'dark']),
  notifications: z.object({ privacy: z.enum(['off', 'count', 'sender', 'full']), sound: z.boolean() }),
  closeToTray: z.boolean(),
  startHidden: z.boolean(),
  updateChannel: z.enum(['stable', 'beta']),
  servers: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), publicKey: z.string() })),
});

export type { SettingsPatch };

export class SettingsStore {
  private readonly path: string;
  private value: Settings;

  constructor(dataDir: string, defaultServers: ServerEndpoint[]) {
    this.path = join(dataDir, 'settings.json');
    const defaults = defaultSettings(defaultServers);
    const stored = readJsonFile(this.path);
    // Merge field by field so a file written by an older version keeps its choices.
    const merged = typeof stored === 'object' && stored !== null ? { ...defaults, ...(stored as object) } : defaults;
    const parsed = settingsSchema.safeParse(merged);
    this.value = parsed.success ? parsed.data : defaults;
    if (this.value.servers.length === 0) this.value.servers = defaults.servers;
  }

  get(): Settings {
    return structuredClone(this.value);
  }

  update(patch: SettingsPatch): Settings {
    const next: Settings = {
      ...this.value,
      ...Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined && k !== 'notifications')),
      notifications: { ...this.value.notifications, ...(patch.notifications ?? {}) },
    } as Settings;
    this.value = next;
    writeJsonFile(this.path, next, 0o600);
    return this.get();
  }
}
