/**
 * Security decisions of the main process, as plain functions:
 * which frames may call the API, which URLs may open in the system browser,
 * which permission requests are granted.
 */

/** Where our renderer is loaded from: the packaged file, or the dev server in development. */
export interface RendererOrigin {
  /** `file:///.../out/renderer/index.html` */
  indexFileUrl: string;
  /** `http://localhost:5173` when running `electron-vite dev`; undefined when packaged. */
  devServerUrl?: string;
}

/** Only our own page may call the API: the main frame, on our file or dev-server URL. */
export function isTrustedSenderUrl(frameUrl: string, origin: RendererOrigin): boolean {
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (url.protocol === 'file:') {
    const expected = new URL(origin.indexFileUrl);
    return expected.protocol === 'file:' && url.pathname === expected.pathname;
  }
  if (origin.devServerUrl) {
    return url.origin === new URL(origin.devServerUrl).origin;
  }
  return false;
}

export interface SenderFrameLike {
  url: string;
  /** `frame.parent === null` for the main frame. */
  parent: unknown;
}

export interface IpcEventLike {
  senderFrame: SenderFrameLike | null;
  sender: { id: number };
}

export function isTrustedSender(event: IpcEventLike, ourWebContentsId: number | null, origin: RendererOrigin): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  if (ourWebContentsId === null || event.sender.id !== ourWebContentsId) return false;
  return isTrustedSenderUrl(frame.url, origin);
}

/** Links the user clicks open in the system browser only if they are plain http(s) URLs without credentials. */
export function isAllowedExternalUrl(raw: string): boolean {
  if (typeof raw !== 'string' || raw.length > 2048) return false;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username || url.password) return false;
  return url.hostname.length > 0;
}

/** Permission requests from the renderer: only notifications. */
export function isPermissionAllowed(permission: string): boolean {
  return permission === 'notifications';
}

/** In-app navigation is never allowed (the UI is a single page); reloads of our own page are. */
export function isNavigationAllowed(targetUrl: string, origin: RendererOrigin): boolean {
  return isTrustedSenderUrl(targetUrl, origin);
}
