/**
 * "Start Tern when I log in": Windows and macOS keep login items themselves
 * (Electron's setLoginItemSettings); Linux desktops read an XDG autostart
 * entry, `~/.config/autostart/tern.desktop`, written here. Started that way,
 * the app starts hidden in the tray (`--hidden`).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const hiddenFlag = '--hidden';

export interface LoginItemHost {
  platform: NodeJS.Platform;
  /** The program to start: the AppImage file for an AppImage, else the executable. */
  executable: string;
  /** XDG_CONFIG_HOME (or ~/.config) on Linux. */
  configDir: string;
  /** Electron's app.setLoginItemSettings (Windows, macOS). */
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

/** Quotes a program path for a desktop entry's Exec key (Desktop Entry Specification, "Exec"). */
export function desktopExecArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartEntry(executable: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Tern',
    'Comment=Start Tern in the tray when you log in',
    `Exec=${desktopExecArg(executable)} ${hiddenFlag}`,
    'Icon=tern',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function autostartFile(configDir: string): string {
  return join(configDir, 'autostart', 'tern.desktop');
}

/** Makes the system start the app at login, or stop doing so. Idempotent; refreshes the path (an AppImage may move). */
export function applyStartAtLogin(enabled: boolean, host: LoginItemHost): void {
  if (host.platform === 'linux') {
    const file = autostartFile(host.configDir);
    if (enabled) {
      mkdirSync(join(host.configDir, 'autostart'), { recursive: true });
      writeFileSync(file, autostartEntry(host.executable));
    } else {
      rmSync(file, { force: true });
    }
    return;
  }
  host.setLoginItemSettings({ openAtLogin: enabled, ...(host.platform === 'win32' ? { args: [hiddenFlag] } : {}) });
}
