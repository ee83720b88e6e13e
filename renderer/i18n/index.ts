/**
 * vue-i18n setup: English and Simplified Chinese, following the system
 * language (navigator.language) unless the user picked one in settings.
 */
import { createI18n } from 'vue-i18n';
import type { LanguageSetting } from '../../shared/ipc';
import { en } from './en';
import { zhCN } from './zh-CN';

export type Locale = 'en' | 'zh-CN';

/** 'zh', 'zh-CN', 'zh-Hans-SG'... -> zh-CN; everything else -> en. */
export function localeFromSystem(language: string | undefined): Locale {
  return language && language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function resolveLocale(setting: LanguageSetting, systemLanguage: string | undefined): Locale {
  return setting === 'system' ? localeFromSystem(systemLanguage) : setting;
}

export function createAppI18n(locale: Locale = localeFromSystem(globalThis.navigator?.language)) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'en',
    messages: { en, 'zh-CN': zhCN },
    missingWarn: false,
    fallbackWarn: false,
  });
}

export type AppI18n = ReturnType<typeof createAppI18n>;
