/**
 * The unread badge: one number (unread of unmuted conversations, from the
 * core's `unreadTotal` event) shown on the dock/launcher (app.setBadgeCount),
 * as a Windows taskbar overlay, and on the tray icon ('1'..'9', '9+'); a dot
 * when only muted conversations have unread messages.
 */
import type { ConversationKey, ConversationView } from '../../shared/ipc';
import type { MainStrings } from './strings';

export type TrayBadge = 'none' | 'dot' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '9+';

export const trayBadges: readonly TrayBadge[] = ['none', 'dot', '1', '2', '3', '4', '5', '6', '7', '8', '9', '9+'];

export interface BadgeState {
  /** For app.setBadgeCount: 0 clears. */
  count: number;
  tray: TrayBadge;
  /** Windows overlay: the icon to use (null clears it) and its accessible description. */
  overlay: { badge: TrayBadge; description: string } | null;
  tooltip: string;
}

export function badgeLabel(total: number): TrayBadge {
  if (total <= 0) return 'none';
  if (total > 9) return '9+';
  return String(total) as TrayBadge;
}

export function badgeState(total: number, mutedUnread: boolean, strings: MainStrings, appName: string): BadgeState {
  const count = Number.isFinite(total) && total > 0 ? Math.floor(total) : 0;
  if (count > 0) {
    const tray = badgeLabel(count);
    const tooltip = strings.unreadTooltip(count);
    return { count, tray, overlay: { badge: tray, description: tooltip }, tooltip };
  }
  if (mutedUnread) return { count: 0, tray: 'dot', overlay: null, tooltip: strings.mutedUnreadTooltip };
  return { count: 0, tray: 'none', overlay: null, tooltip: appName };
}

/** Tracks which muted conversations have unread messages (for the dot). */
export class MutedUnreadTracker {
  private readonly keys = new Set<ConversationKey>();

  update(conversations: readonly Pick<ConversationView, 'key' | 'muted' | 'unread'>[]): void {
    for (const c of conversations) {
      if (c.muted && c.unread > 0) this.keys.add(c.key);
      else this.keys.delete(c.key);
    }
  }

  remove(key: ConversationKey): void {
    this.keys.delete(key);
  }

  clear(): void {
    this.keys.clear();
  }

  get any(): boolean {
    return this.keys.size > 0;
  }
}

export interface BadgeTargets {
  setBadgeCount(count: number): void;
  setTrayImage(badge: TrayBadge): void;
  setTrayToolTip(text: string): void;
  /** Windows only (null elsewhere). */
  setOverlay: ((badge: TrayBadge | null, description: string) => void) | null;
}

/** Applies badge states to the OS, touching only what changed. */
export class BadgeController {
  private last: BadgeState | null = null;

  constructor(private readonly targets: BadgeTargets) {}

  apply(state: BadgeState): void {
    const prev = this.last;
    this.last = state;
    if (prev?.count !== state.count) this.targets.setBadgeCount(state.count);
    if (prev?.tray !== state.tray) this.targets.setTrayImage(state.tray);
    if (prev?.tooltip !== state.tooltip) this.targets.setTrayToolTip(state.tooltip);
    if (this.targets.setOverlay && (prev?.overlay?.badge ?? null) !== (state.overlay?.badge ?? null)) {
      this.targets.setOverlay(state.overlay?.badge ?? null, state.overlay?.description ?? '');
    }
  }

  get current(): BadgeState | null {
    return this.last;
  }
}
