/**
 * The one source of the Tern icon: a blue rounded square with a white tern
 * (swept wings, forked tail). Rasterised at every size by draw.ts and written
 * as SVG by svg(); build/icons/generate.ts produces the packaged files.
 */
import type { Rgba } from './bitmap';

export const background: Rgba = [37, 99, 235, 255]; // #2563eb
export const foreground: Rgba = [255, 255, 255, 255];
export const badgeRed: Rgba = [229, 57, 53, 255]; // #e53935

/** Corner radius of the background, as a fraction of the size. */
export const cornerRadius = 0.22;
/** Padding around the rounded square, as a fraction of the size. */
export const padding = 0.04;

/** The bird, in unit coordinates (0..1, y down). */
export const bird: ReadonlyArray<readonly [number, number]> = [
  [0.1, 0.36],
  [0.31, 0.34],
  [0.5, 0.5],
  [0.69, 0.34],
  [0.9, 0.36],
  [0.62, 0.55],
  [0.58, 0.68],
  [0.68, 0.86],
  [0.5, 0.75],
  [0.32, 0.86],
  [0.42, 0.68],
  [0.38, 0.55],
];

const hex = ([r, g, b]: Rgba) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

export function svg(size = 1024): string {
  const p = padding * size;
  const s = size - 2 * p;
  const points = bird.map(([x, y]) => `${(p + x * s).toFixed(1)},${(p + y * s).toFixed(1)}`).join(' ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`,
    `  <rect x="${p}" y="${p}" width="${s}" height="${s}" rx="${(cornerRadius * s).toFixed(1)}" fill="${hex(background)}"/>`,
    `  <polygon points="${points}" fill="${hex(foreground)}"/>`,
    `</svg>`,
    '',
  ].join('\n');
}
