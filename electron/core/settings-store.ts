/** App settings (shared/ipc `Settings`) in `settings.json` of the data directory. */
import { join } from 'node:path';
import { applySettingsPatch, defaultSettings, storedSettingsSchema, type ServerEndpoint, type Settings, type SettingsPatch } from '../../shared/ipc';
import { readJsonFile, writeJsonFile } from './json-file';

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
    const parsed = storedSettingsSchema.safeParse(merged);
    this.value = parsed.success ? parsed.data : defaults;
    if (this.value.servers.length === 0) this.value.servers = defaults.servers;
  }

  get(): Settings {
    return structuredClone(this.value);
  }

  update(patch: SettingsPatch): Settings {
    this.value = applySettingsPatch(this.value, patch);
    writeJsonFile(this.path, this.value, 0o600);
    return this.get();
  }
}
