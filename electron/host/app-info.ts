import type { AppInfo, UpdateChannel, UpdateStatus } from '../../shared/ipc';
import type { ShellHandlers } from './dispatch';

/** The product name shown to users (also electron-builder's productName). */
export const productName = 'Tern';

export function appInfo(version: string, shell: AppInfo['shell'], platform: string): AppInfo {
  return { name: productName, version, shell, platform };
}

/** What the web shell (and an unpackaged Electron run) reports for updates. */
export function unsupportedUpdateStatus(version: string, channel: UpdateChannel = 'stable'): UpdateStatus {
  return { state: 'unsupported', channel, currentVersion: version };
}

/** The shell's own methods of a shell without an updater (the web shell, benchmarks). */
export function webShellHandlers(version: string): ShellHandlers {
  return {
    getAppInfo: async () => appInfo(version, 'web', process.platform),
    getUpdateStatus: async () => unsupportedUpdateStatus(version),
    checkForUpdates: async () => unsupportedUpdateStatus(version),
    skipUpdate: async () => unsupportedUpdateStatus(version),
    installUpdate: async () => {
      throw Object.assign(new Error('updates are not available in the web shell'), { code: 'UNSUPPORTED' });
    },
    exportDebugLog: async () => {
      throw Object.assign(new Error('the web shell logs to its terminal; there is no log file to export'), { code: 'UNSUPPORTED' });
    },
    // A browser has no file manager to show and no paths: it saves a file as a download (renderer).
    saveAttachmentAs: async () => unsupportedInBrowser(),
    openAttachment: async () => unsupportedInBrowser(),
    showAttachmentInFolder: async () => unsupportedInBrowser(),
  };
}

function unsupportedInBrowser(): never {
  throw Object.assign(new Error('files are saved as downloads in the browser'), { code: 'UNSUPPORTED' });
}
