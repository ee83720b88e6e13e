/** Serves the built renderer (a directory of static files), never outside it. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Maps a URL path to a file inside `root`, or null if it escapes or is malformed. */
export function resolveStaticPath(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rel = normalize(decoded).replace(/^([/\\])+/, '');
  const base = resolve(root);
  const full = resolve(join(base, rel));
  if (full !== base && !full.startsWith(base + sep)) return null;
  return full;
}

export type StaticResult = 'served' | 'not-found' | 'no-renderer';

/**
 * Serves `pathname` from `root`: directory => index.html; an unknown path
 * without an extension => index.html (client-side routes); otherwise 404.
 */
export async function serveStatic(
  root: string,
  pathname: string,
  method: string,
  res: ServerResponse,
  headers: Record<string, string>,
): Promise<StaticResult> {
  const indexPath = join(root, 'index.html');
  let file = resolveStaticPath(root, pathname);
  if (file === null) return 'not-found';
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info && extname(pathname) === '') {
    file = indexPath;
    info = await stat(file).catch(() => null);
    if (!info) return 'no-renderer';
  }
  if (!info || !info.isFile()) return 'not-found';
  const type = contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...headers,
    'Content-Type': type,
    'Content-Length': String(info.size),
    // The index names hashed assets; it must never be cached.
    'Cache-Control': file === indexPath ? 'no-store' : 'no-cache',
  });
  if (method === 'HEAD') {
    res.end();
    return 'served';
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      done();
    });
    stream.on('end', () => done());
    stream.pipe(res);
  });
  return 'served';
}
