/** The proxy of the settings, as the transport takes it (undefined: connect directly). */
import type { ProxySettings } from '../../shared/ipc';
import type { ProxyConfig } from '../../shared/node/proxy/tunnel';

export function proxyConfig(settings: ProxySettings | undefined): ProxyConfig | undefined {
  if (!settings || settings.type === 'none' || !settings.host) return undefined;
  return {
    type: settings.type,
    host: settings.host,
    port: settings.port,
    ...(settings.username ? { username: settings.username, password: settings.password } : {}),
  };
}

/** Whether two proxy settings route connections the same way. */
export function sameProxy(a: ProxySettings | undefined, b: ProxySettings | undefined): boolean {
  return JSON.stringify(proxyConfig(a) ?? null) === JSON.stringify(proxyConfig(b) ?? null);
}
