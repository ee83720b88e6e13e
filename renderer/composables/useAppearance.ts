/** Applies the effective theme and language to the document and i18n, following the system when asked to. */
import { onBeforeUnmount, watch } from 'vue';
import { useI18n } from 'vue-i18n';
import { useSettingsStore } from '../stores/settings';
import { applyTheme } from '../theme/tokens';

export function useAppearance(): void {
  const settings = useSettingsStore();
  const { locale } = useI18n({ useScope: 'global' });
  const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
  const onMedia = () => (settings.systemDark = media?.matches ?? false);
  onMedia();
  media?.addEventListener('change', onMedia);
  const onLang = () => (settings.systemLanguage = navigator.language);
  window.addEventListener('languagechange', onLang);
  onBeforeUnmount(() => {
    media?.removeEventListener('change', onMedia);
    window.removeEventListener('languagechange', onLang);
  });
  watch(() => settings.theme, (t) => applyTheme(document.documentElement, t), { immediate: true });
  watch(
    () => settings.locale,
    (l) => {
      locale.value = l;
      document.documentElement.lang = l;
    },
    { immediate: true },
  );
}
