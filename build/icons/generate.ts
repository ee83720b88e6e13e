/**
 * Generates every packaged icon from the one source geometry
 * (electron/main/icons/geometry.ts):
 *   build/icons/icon.svg              the source, as SVG (for docs and the web)
 *   build/icons/icon.png              1024x1024 (macOS: electron-builder makes the .icns)
 *   build/icons/icon.ico              16..256 (Windows, PNG-compressed entries)
 *   build/icons/png/NxN.png           16..512 (Linux, hicolor sizes)
 *   build/icons/tray/tray-<badge>.png pre-drawn tray icons, 32x32 (the app draws them at run time too)
 *   build/icons/tray/trayTemplate.png, trayUnreadTemplate.png (+ @2x)  the macOS menu-bar template images
 * Run: npm run icons (also part of npm run dist).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trayBadges } from '../../electron/main/badge';
import { drawAppIcon, drawTrayIcon, drawTrayTemplateIcon } from '../../electron/main/icons/draw';
import { svg } from '../../electron/main/icons/geometry';
import { encodeIco, encodePng } from '../../electron/main/icons/png';

export const linuxSizes = [16, 24, 32, 48, 64, 128, 256, 512] as const;
export const icoSizes = [16, 24, 32, 48, 64, 128, 256] as const;

export function generateIcons(outDir: string, options: { skipLarge?: boolean } = {}): string[] {
  const written: string[] = [];
  const write = (rel: string, data: string | Buffer) => {
    const full = join(outDir, rel);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, data);
    written.push(rel);
  };
  write('icon.svg', svg(1024));
  if (!options.skipLarge) write('icon.png', encodePng(drawAppIcon(1024)));
  const cache = new Map<number, Buffer>();
  const png = (size: number) => {
    let b = cache.get(size);
    if (!b) cache.set(size, (b = encodePng(drawAppIcon(size))));
    return b;
  };
  for (const size of linuxSizes) write(`png/${size}x${size}.png`, png(size));
  write('icon.ico', encodeIco(icoSizes.map((size) => ({ size, png: png(size) }))));
  for (const badge of trayBadges) write(`tray/tray-${badge}.png`, encodePng(drawTrayIcon(32, badge)));
  for (const [name, unread] of [['trayTemplate', false], ['trayUnreadTemplate', true]] as const) {
    write(`tray/${name}.png`, encodePng(drawTrayTemplateIcon(16, unread)));
    write(`tray/${name}@2x.png`, encodePng(drawTrayTemplateIcon(32, unread)));
  }
  return written;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  const out = join(import.meta.dirname, '.');
  const files = generateIcons(out);
  console.log(`wrote ${files.length} icon files to ${out}`);
}
