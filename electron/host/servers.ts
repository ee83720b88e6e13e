import { parseCall, type ServerEndpoint } from '../../shared/ipc';

/**
 * Parses TERN_SERVERS (a JSON array of { host, port, publicKey }) with the
 * contract's own schema; anything invalid yields no servers.
 */
export function parseServersEnv(raw: string | undefined): ServerEndpoint[] {
  if (!raw) return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  const parsed = parseCall('updateSettings', { servers: value });
  if (!parsed.ok) return [];
  return ((parsed.args as { servers?: ServerEndpoint[] }).servers ?? []).map((s) => ({ host: s.host, port: s.port, publicKey: s.publicKey }));
}
