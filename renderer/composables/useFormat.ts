/** Locale-aware time formatting for lists, bubbles and day separators. */
import { useI18n } from 'vue-i18n';

export function startOfDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Calendar days from `at` to `now` (0 = same day, 1 = yesterday). */
function daysBefore(now: number, at: number): number {
  return Math.round((startOfDay(now) - startOfDay(at)) / 86_400_000);
}

export function useFormat() {
  const { t, locale } = useI18n();

  function time(at: number): string {
    // 'numeric' hours: "9:06 PM", not "09:06 PM" (24-hour locales still pad where they always do).
    return new Date(at).toLocaleTimeString(locale.value, { hour: 'numeric', minute: '2-digit' });
  }

  function day(at: number, now = Date.now()): string {
    const diff = daysBefore(now, at);
    if (diff === 0) return t('messages.today');
    if (diff === 1) return t('messages.yesterday');
    const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
    return new Date(at).toLocaleDateString(locale.value, sameYear ? { month: 'long', day: 'numeric', weekday: 'short' } : { year: 'numeric', month: 'long', day: 'numeric' });
  }

  /** Conversation list: time today, weekday this week, else a short date. */
  function listTime(at: number, now = Date.now()): string {
    if (!at) return '';
    const diff = daysBefore(now, at);
    if (diff === 0) return time(at);
    if (diff === 1) return t('messages.yesterday');
    if (diff < 7) return new Date(at).toLocaleDateString(locale.value, { weekday: 'short' });
    return new Date(at).toLocaleDateString(locale.value, { year: '2-digit', month: 'numeric', day: 'numeric' });
  }

  /** "14:02" today, else "Yesterday 09:10" / a date and the time. */
  function moment(at: number, now = Date.now()): string {
    return daysBefore(now, at) === 0 ? time(at) : `${day(at, now)} ${time(at)}`;
  }

  /**
   * A friend's presence: "Online", "Last seen 14:02" (today), "Last seen Yesterday 09:10", "Last seen recently"
   * when a last-seen setting hides it, or "Offline" when unknown.
   */
  function presence(p: { online: boolean; lastSeen: number; presenceHidden?: boolean }, now = Date.now()): string {
    if (p.presenceHidden) return t('presenceHidden');
    if (p.online) return t('presence.online');
    if (!p.lastSeen) return t('presence.offline');
    return t('presence.lastSeen', { time: moment(p.lastSeen, now) });
  }

  return { time, day, listTime, presence, moment };
}
