import { describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { useI18n } from 'vue-i18n';
import { useAppearance } from '../../renderer/composables/useAppearance';
import { localeFromSystem, resolveLocale } from '../../renderer/i18n';
import { en } from '../../renderer/i18n/en';
import { zhCN } from '../../renderer/i18n/zh-CN';
import { useSettingsStore } from '../../renderer/stores/settings';
import { avatarPalette } from '../../renderer/theme/avatar';
import { contrastPairs, contrastRatio, themes } from '../../renderer/theme/tokens';
import { testSettings } from './fake-api';
import { flush, mountWith, setupEnv } from './setup';

const Probe = defineComponent({
  setup() {
    useAppearance();
    const { t } = useI18n();
    return () => h('span', { 'data-test': 'probe' }, t('nav.chats'));
  },
});

function keysOf(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'string' ? [prefix + k] : keysOf(v as object, `${prefix}${k}.`)));
}

describe('language', () => {
  it('follows the system language and the setting', () => {
    expect(localeFromSystem('zh-CN')).toBe('zh-CN');
    expect(localeFromSystem('zh-Hans-SG')).toBe('zh-CN');
    expect(localeFromSystem('en-GB')).toBe('en');
    expect(localeFromSystem(undefined)).toBe('en');
    expect(resolveLocale('system', 'zh-TW')).toBe('zh-CN');
    expect(resolveLocale('en', 'zh-CN')).toBe('en');
  });

  it('has the same keys in both locales, none empty', () => {
    expect(keysOf(zhCN).sort()).toEqual(keysOf(en).sort());
    expect(keysOf(zhCN).filter((k) => !k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], zhCN))).toEqual([]);
  });

  it('switches the whole UI between English and Chinese when the setting changes', async () => {
    const env = setupEnv({ updateSettings: (patch) => ({ ...testSettings, ...patch }) as typeof testSettings });
    const settings = useSettingsStore();
    settings.settings = { ...testSettings, language: 'en' };
    const w = mountWith(env, Probe);
    expect(w.text()).toBe('Chats');
    await settings.save({ language: 'zh-CN' });
    await flush();
    expect(w.text()).toBe('聊天');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(env.fake.calls.updateSettings).toHaveBeenCalledWith({ language: 'zh-CN' });
    settings.systemLanguage = 'en-US';
    await settings.save({ language: 'system' });
    await flush();
    expect(w.text()).toBe('Chats');
  });
});

describe('themes', () => {
  it.each(Object.keys(themes) as Array<keyof typeof themes>)('%s theme passes WCAG AA for every pair the UI draws', (name) => {
    const failing = contrastPairs
      .map(([fg, bg, min]) => ({ pair: `${fg} on ${bg}`, ratio: contrastRatio(themes[name][fg], themes[name][bg]), min }))
      .filter((p) => p.ratio < p.min);
    expect(failing).toEqual([]);
  });

  it('generated avatar colours carry white initials at AA contrast', () => {
    expect(avatarPalette.filter((c) => contrastRatio(c, '#ffffff') < 4.5)).toEqual([]);
  });

  it('applies the chosen theme as CSS variables and follows the system when asked', async () => {
    const env = setupEnv();
    const settings = useSettingsStore();
    settings.settings = { ...testSettings, theme: 'dark' };
    mountWith(env, Probe);
    await flush();
    const root = document.documentElement;
    expect(root.dataset.theme).toBe('dark');
    expect(root.style.getPropertyValue('--bg')).toBe(themes.dark.bg);
    settings.settings = { ...testSettings, theme: 'system' };
    settings.systemDark = false;
    await flush();
    expect(root.dataset.theme).toBe('light');
    expect(root.style.getPropertyValue('--text-muted')).toBe(themes.light.textMuted);
  });
});
