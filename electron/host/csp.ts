/**
 * The Content-Security-Policy both shells send with the renderer, and the
 * other hardening headers of the web shell.
 *
 * The renderer needs no network of its own under Electron (it talks to main
 * over IPC); in the web shell it needs exactly one WebSocket to its host.
 * No inline script, no eval, no plugins, no framing, no forms, no base-uri.
 */
export interface CspOptions {
  /** The WebSocket origin of the web shell (`ws://127.0.0.1:PORT`); absent under Electron. */
  webSocketOrigin?: string;
  /** The Vite dev server origin (development only): its HMR needs inline styles and a socket. */
  devServerOrigin?: string;
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  const connect = ["'self'"];
  if (options.webSocketOrigin) connect.push(options.webSocketOrigin);
  const style = ["'self'"];
  const script = ["'self'"];
  if (options.devServerOrigin) {
    const wsDev = options.devServerOrigin.replace(/^http/, 'ws');
    connect.push(options.devServerOrigin, wsDev);
    style.push("'unsafe-inline'");
  }
  return [
    "default-src 'none'",
    `script-src ${script.join(' ')}`,
    `style-src ${style.join(' ')}`,
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "worker-src 'none'",
    "manifest-src 'self'",
  ].join('; ');
}

/** Headers for every response of the web shell (CSP added per response). */
export const hardeningHeaders: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=()',
};
