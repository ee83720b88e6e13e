/** Draws the app icon and the tray icons (with unread badges) at any size. */
import type { TrayBadge } from '../badge';
import { Bitmap, circle, polygon, roundedRect } from './bitmap';
import { background, badgeRed, bird, cornerRadius, foreground, padding } from './geometry';
import { glyphHeight, textShape, textWidthCells } from './glyphs';

export function drawAppIcon(size: number): Bitmap {
  const bmp = new Bitmap(size, size);
  const p = padding * size;
  const s = size - 2 * p;
  bmp.fill(roundedRect(p, p, s, s, cornerRadius * s), background);
  const pts = bird.map(([x, y]) => [p + x * s, p + y * s] as const);
  bmp.fill(polygon(pts), foreground);
  return bmp;
}

/**
 * The tray icon: the app icon, plus a red badge in the top-right corner with
 * the count ('1'..'9', '9+'), or a small red dot.
 */
export function drawTrayIcon(size: number, badge: TrayBadge): Bitmap {
  const bmp = drawAppIcon(size);
  if (badge === 'none') return bmp;
  if (badge === 'dot') {
    const r = size * 0.2;
    bmp.fill(circle(size - r - size * 0.02, r + size * 0.02, r), badgeRed);
    return bmp;
  }
  drawBadge(bmp, size - size * 0.32, size * 0.32, size * 0.32, badge);
  return bmp;
}

function drawBadge(bmp: Bitmap, cx: number, cy: number, r: number, badge: Exclude<TrayBadge, 'none' | 'dot'>): void {
  // White ring so the badge reads on any taskbar colour.
  bmp.fill(circle(cx, cy, r), foreground);
  bmp.fill(circle(cx, cy, r * 0.86), badgeRed);
  const cells = textWidthCells(badge);
  // As large as fits inside the circle, at least one pixel per cell.
  const cell = Math.max(1, Math.floor(Math.min((r * 1.5) / cells, (r * 1.3) / glyphHeight)));
  const w = cells * cell;
  const h = glyphHeight * cell;
  bmp.fill(textShape(badge, Math.round(cx - w / 2), Math.round(cy - h / 2), cell), foreground, { x0: cx - r, y0: cy - r, x1: cx + r, y1: cy + r });
}

/**
 * The macOS menu-bar icon: a template image (black and alpha only; macOS
 * tints it for light and dark menu bars and for the highlighted state), the
 * bird alone, with a dot when there is anything unread (the Dock icon shows
 * the number).
 */
export function drawTrayTemplateIcon(size: number, unread: boolean): Bitmap {
  const bmp = new Bitmap(size, size);
  const ink: readonly [number, number, number, number] = [0, 0, 0, 255];
  const m = size * 0.02;
  const s = size - 2 * m;
  // The bird's own box is 0.1..0.9 by 0.34..0.86: scaled up to fill the menu-bar square, centred.
  const top = m + ((1 - 0.52 / 0.8) / 2) * s;
  const pts = bird.map(([x, y]) => [m + ((x - 0.1) / 0.8) * s, top + ((y - 0.34) / 0.8) * s] as const);
  bmp.fill(polygon(pts), ink);
  if (unread) {
    // Bottom right, where the bird leaves room (its wings span the top).
    const r = size * 0.16;
    bmp.fill(circle(size - r - m, size - r - m, r), ink);
  }
  return bmp;
}

/** Windows taskbar overlay: just the badge, filling the (16x16 or 32x32) overlay square. */
export function drawOverlayIcon(size: number, badge: TrayBadge): Bitmap {
  const bmp = new Bitmap(size, size);
  if (badge === 'none') return bmp;
  if (badge === 'dot') {
    bmp.fill(circle(size / 2, size / 2, size * 0.3), badgeRed);
    return bmp;
  }
  drawBadge(bmp, size / 2, size / 2, size / 2, badge);
  return bmp;
}
