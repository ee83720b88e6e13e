/**
 * Spelling check: which dictionaries Chromium uses. On Windows and Linux the
 * app chooses (Chromium's Hunspell dictionaries, downloaded on first use); on
 * macOS the system spell checker decides by itself and the list is not ours.
 * The setting's `languages` empty means "the app's language": English for
 * English, and English for Chinese too (Chromium has no Chinese dictionary,
 * and Chinese text is not marked as misspelt).
 */
import type { Settings } from '../../shared/ipc';

/** The dictionaries to use: the chosen ones Chromium has, else English; never empty while any exists. */
export function spellcheckLanguages(settings: Settings['spellcheck'], available: readonly string[]): string[] {
  const has = new Set(available);
  const chosen = settings.languages.filter((l) => has.has(l));
  if (chosen.length > 0) return chosen;
  // The app speaks English or Chinese; Chromium has no Chinese dictionary, so English either way.
  const first = ['en-US', 'en-GB', 'en'].find((l) => has.has(l)) ?? available[0];
  return first ? [first] : [];
}
