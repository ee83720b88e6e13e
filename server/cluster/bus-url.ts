/** The `--bus` URL: NATS servers and credentials, checked when the config is read. */

export class BusConfigError extends Error {}

export interface ParsedBusUrl {
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  tls: boolean;
}

/** Splits `nats://user:pass@a:4222,nats://b:4222` into servers and credentials (credentials never reach the logs). */
export function parseBusUrl(raw: string): ParsedBusUrl {
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  let tls = false;
  for (const part of raw.split(',').map((s) => s.trim())) {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new BusConfigError(`bus: not a URL: ${part.replace(/\/\/[^@/]*@/, '//***@')}`);
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') throw new BusConfigError(`bus: expected nats:// or tls://, got ${url.protocol}//`);
    if (url.protocol === 'tls:') tls = true;
    if (url.username) {
      user = decodeURIComponent(url.username);
      pass = url.password ? decodeURIComponent(url.password) : undefined;
    }
    servers.push(`${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${url.port || '4222'}`);
  }
  if (servers.length === 0) throw new BusConfigError('bus: no server given');
  // nats://TOKEN@host (a user without a password) is token authentication.
  if (user !== undefined && pass === undefined) return { servers, token: user, tls };
  return { servers, user, pass, tls };
}
