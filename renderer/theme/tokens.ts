/**
 * Colour tokens for the light and dark themes. They are applied as CSS
 * custom properties on <html> (see applyTheme), so stylesheets only use
 * `var(--…)`. tests/renderer/theme.test.ts checks every text/background pair
 * below against WCAG AA (4.5:1 for text, 3:1 for borders and focus rings).
 */
export type ThemeName = 'light' | 'dark';

export interface ThemeTokens {
  bg: string; // main surface
  bgAlt: string; // sidebar, list
  bgRail: string; // the narrow navigation rail
  bgHover: string;
  bgActive: string; // selected conversation
  bgBubbleIn: string;
  bgBubbleOut: string;
  text: string;
  textMuted: string;
  textOnRail: string;
  textBubbleOut: string;
  accent: string; // links, primary buttons (as background, with textOnAccent)
  textOnAccent: string;
  danger: string;
  success: string;
  read: string; // the read ticks on my messages: a colour of their own, unmistakable from delivered
  border: string; // control outlines (inputs, buttons): >= 3:1
  divider: string; // decorative separators between panes and rows (no contrast requirement)
  focus: string;
  mark: string; // search hit background
  textOnMark: string;
  banner: string;
  textOnBanner: string;
  badge: string;
  textOnBadge: string;
}

export const themes: Record<ThemeName, ThemeTokens> = {
  light: {
    bg: '#ffffff', bgAlt: '#f4f5f7', bgRail: '#1f2933', bgHover: '#e9ecf0', bgActive: '#dbe8fb',
    bgBubbleIn: '#eef0f3', bgBubbleOut: '#d7ebff',
    text: '#16191d', textMuted: '#525c68', textOnRail: '#e8edf2', textBubbleOut: '#0e1b2b',
    accent: '#0a5bc4', textOnAccent: '#ffffff', danger: '#b42318', success: '#1a7f37', read: '#0a6b36',
    border: '#8a94a0', divider: '#dde1e6', focus: '#0a5bc4', mark: '#ffe27a', textOnMark: '#16191d',
    banner: '#fff3cd', textOnBanner: '#4d3800', badge: '#c62828', textOnBadge: '#ffffff',
  },
  dark: {
    bg: '#15181c', bgAlt: '#1c2026', bgRail: '#0e1013', bgHover: '#272c34', bgActive: '#243a57',
    bgBubbleIn: '#262b33', bgBubbleOut: '#1f4268',
    text: '#e7eaee', textMuted: '#a4adb8', textOnRail: '#dfe5ec', textBubbleOut: '#eef5ff',
    accent: '#7ab7ff', textOnAccent: '#0b1320', danger: '#ff8a80', success: '#6fd08c', read: '#7ee0a0',
    border: '#6b7480', divider: '#2c323a', focus: '#7ab7ff', mark: '#8a6d00', textOnMark: '#fffbe6',
    banner: '#4a3b00', textOnBanner: '#fff1c2', badge: '#ff6b6b', textOnBadge: '#1a0000',
  },
};

/** Pairs (foreground, background, minimum ratio) that the UI actually draws. */
export const contrastPairs: Array<[keyof ThemeTokens, keyof ThemeTokens, number]> = [
  ['text', 'bg', 4.5], ['text', 'bgAlt', 4.5], ['text', 'bgHover', 4.5], ['text', 'bgActive', 4.5],
  ['textMuted', 'bg', 4.5], ['textMuted', 'bgAlt', 4.5], ['textMuted', 'bgActive', 4.5], ['textMuted', 'bgHover', 4.5],
  ['text', 'bgBubbleIn', 4.5], ['textMuted', 'bgBubbleIn', 4.5], ['textBubbleOut', 'bgBubbleOut', 4.5],
  ['textOnRail', 'bgRail', 4.5], ['textOnAccent', 'accent', 4.5], ['accent', 'bg', 4.5], ['accent', 'bgAlt', 4.5],
  ['danger', 'bg', 4.5], ['danger', 'bgBubbleOut', 4.5], ['read', 'bgBubbleOut', 4.5], ['success', 'bg', 4.5], ['textOnMark', 'mark', 4.5],
  ['textOnBanner', 'banner', 4.5], ['textOnBadge', 'badge', 4.5],
  ['border', 'bg', 3], ['focus', 'bg', 3], ['focus', 'bgAlt', 3], ['focus', 'bgActive', 3],
];

function channel(c: number): number {
  const s = c / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

export function luminance(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);

/** Sets the tokens as CSS custom properties (CSSOM writes are allowed by our CSP, unlike inline <style>). */
export function applyTheme(root: HTMLElement, name: ThemeName): void {
  for (const [k, v] of Object.entries(themes[name])) root.style.setProperty(`--${kebab(k)}`, v);
  root.dataset.theme = name;
  root.style.colorScheme = name;
}
