/**
 * App settings (shared/ipc `Settings`) in `settings.json` of the data
 * directory (0600). The one secret among them, the proxy password, is stored
 * sealed (`proxy.passwordSealed`, ./data-key.ts), never in clear; a password
 * in clear from an older file is sealed on load. One sealed under a key that
 * was lost reads as empty: the proxy refuses it and the user types it again.
 */
import { join } from 'node:path';
import { applySettingsPatch, defaultSettings, storedSettingsSchema, type ServerEndpoint, type Settings, type SettingsPatch } from '../../shared/ipc';
import type { SecretSealer } from './data-key';
import { readJsonFile, writeJsonFile } from './json-file';

export type { SettingsPatch };

const PROXY_PASSWORD = 'proxy password';

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export class SettingsStore {
  private readonly path: string;
  private value: Settings;

  constructor(
    dataDir: string,
    defaultServers: ServerEndpoint[],
    private readonly sealer: SecretSealer,
  ) {
    this.path = join(dataDir, 'settings.json');
    const defaults = defaultSettings(defaultServers);
    const { stored, clearPassword } = this.unsealed(readJsonFile(this.path));
    // Merge field by field so a file written by an older version keeps its choices.
    const merged = isObject(stored) ? { ...defaults, ...stored } : defaults;
    const parsed = storedSettingsSchema.safeParse(merged);
    this.value = parsed.success ? parsed.data : defaults;
    if (this.value.servers.length === 0) this.value.servers = defaults.servers;
    if (parsed.success && clearPassword) this.save();
  }

  get(): Settings {
    return structuredClone(this.value);
  }

  update(patch: SettingsPatch): Settings {
    this.value = applySettingsPatch(this.value, patch);
    this.save();
    return this.get();
  }

  private save(): void {
    const { password, ...proxy } = this.value.proxy;
    const onDisk = { ...this.value, proxy: password ? { ...proxy, passwordSealed: this.sealer.seal(password, PROXY_PASSWORD) } : proxy };
    writeJsonFile(this.path, onDisk, 0o600);
  }

  /** The file's content with the proxy password opened (the shape the schema checks). */
  private unsealed(stored: unknown): { stored: unknown; clearPassword: boolean } {
    if (!isObject(stored) || !isObject(stored.proxy)) return { stored, clearPassword: false };
    const { passwordSealed, ...proxy } = stored.proxy;
    if (typeof passwordSealed === 'string') {
      return { stored: { ...stored, proxy: { ...proxy, password: this.sealer.open(passwordSealed, PROXY_PASSWORD) ?? '' } }, clearPassword: false };
    }
    return { stored: { ...stored, proxy: { password: '', ...proxy } }, clearPassword: typeof proxy.password === 'string' && proxy.password !== '' };
  }
}
