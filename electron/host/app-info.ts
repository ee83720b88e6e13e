import type { AppInfo, UpdateChannel, UpdateStatus } from '../../shared/ipc';

/** The product name shown to users (also electron-builder's productName). */
export const productName = 'Tern';

export function appInfo(version: string, shell: AppInfo['shell'], platform: string): AppInfo {
  return { name: productName, version, shell, platform };
}

/** What the web shell (and an unpackaged Electron run) reports for updates. */
export function unsupportedUpdateStatus(version: string, channel: UpdateChannel = 'stable'): UpdateStatus {
  return { state: 'unsupported', channel, currentVersion: version };
}
