import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { applySettingsPatch, defaultSettings, type AppInfo, type Settings, type SettingsPatch, type UpdateStatus } from '../../shared/ipc';
import { useApi } from '../api';
import { resolveLocale, type Locale } from '../i18n';
import type { ThemeName } from '../theme/tokens';

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings>(defaultSettings());
  const appInfo = ref<AppInfo | null>(null);
  const update = ref<UpdateStatus | null>(null);
  /** The system preferences, kept current by the appearance composable. */
  const systemDark = ref(false);
  const systemLanguage = ref<string | undefined>(globalThis.navigator?.language);

  const theme = computed<ThemeName>(() => (settings.value.theme === 'system' ? (systemDark.value ? 'dark' : 'light') : settings.value.theme));
  const locale = computed<Locale>(() => resolveLocale(settings.value.language, systemLanguage.value));

  async function load(): Promise<void> {
    const api = useApi();
    settings.value = await api.getSettings({});
    const [info, status] = await Promise.allSettled([api.getAppInfo({}), api.getUpdateStatus({})]);
    if (info.status === 'fulfilled') appInfo.value = info.value;
    if (status.status === 'fulfilled') update.value = status.value;
  }

  async function save(patch: SettingsPatch): Promise<void> {
    // Optimistic, so theme and language switch instantly; the core's answer wins.
    const prev = settings.value;
    settings.value = applySettingsPatch(prev, patch);
    try {
      settings.value = await useApi().updateSettings(patch);
    } catch (err) {
      settings.value = prev;
      throw err;
    }
  }

  async function checkForUpdates(): Promise<void> {
    update.value = await useApi().checkForUpdates({});
  }

  async function installUpdate(): Promise<void> {
    await useApi().installUpdate({});
  }

  /** Desktop app: writes a debug log where the user chooses; the path, or null if they cancelled. */
  async function exportDebugLog(): Promise<string | null> {
    return (await useApi().exportDebugLog({}))?.path ?? null;
  }

  /** Skip `version` (or take a skipped one after all with null). */
  async function skipUpdate(version: string | null): Promise<void> {
    update.value = await useApi().skipUpdate({ version });
  }

  function bind(): () => void {
    const api = useApi();
    const offs = [
      api.onSettingsChanged((s) => (settings.value = s)),
      api.onUpdateStatus((s) => (update.value = s)),
    ];
    return () => offs.forEach((off) => off());
  }

  return { settings, appInfo, update, systemDark, systemLanguage, theme, locale, load, save, checkForUpdates, installUpdate, skipUpdate, exportDebugLog, bind };
});
