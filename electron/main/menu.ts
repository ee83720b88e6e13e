/**
 * The application menu and the tray menu as plain templates (Electron's
 * MenuItemConstructorOptions), with the usual roles and shortcuts.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { MainStrings } from './strings';

export interface MenuActions {
  showWindow(): void;
  checkForUpdates(): void;
  installUpdate(): void;
  exportDebugLog(): void;
  quit(): void;
}

export function applicationMenuTemplate(platform: NodeJS.Platform, appName: string, strings: MainStrings, actions: MenuActions, updateReady: boolean, isDev: boolean): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const updateItem: MenuItemConstructorOptions = updateReady
    ? { label: strings.restartToUpdate, click: () => actions.installUpdate() }
    : { label: strings.checkForUpdates, click: () => actions.checkForUpdates() };
  const quitItem: MenuItemConstructorOptions = { label: strings.quit, accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() };
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: appName,
      submenu: [{ role: 'about' }, updateItem, { type: 'separator' }, { role: 'services' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, quitItem],
    });
  } else {
    template.push({ role: 'fileMenu', submenu: [updateItem, { type: 'separator' }, { role: 'close', accelerator: 'CmdOrCtrl+W' }, quitItem] });
  }
  template.push({
    role: 'editMenu',
    submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'pasteAndMatchStyle' }, { role: 'delete' }, { role: 'selectAll' }],
  });
  const view: MenuItemConstructorOptions[] = [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }];
  if (isDev) view.unshift({ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' });
  template.push({ role: 'viewMenu', submenu: view });
  template.push({ role: 'windowMenu' });
  template.push({ role: 'help', label: strings.help, submenu: [{ label: strings.exportDebugLog, click: () => actions.exportDebugLog() }] });
  return template;
}

export function trayMenuTemplate(strings: MainStrings, actions: MenuActions, updateReady: boolean): MenuItemConstructorOptions[] {
  const items: MenuItemConstructorOptions[] = [{ label: strings.show, click: () => actions.showWindow() }];
  if (updateReady) items.push({ label: strings.restartToUpdate, click: () => actions.installUpdate() });
  items.push({ type: 'separator' }, { label: strings.quit, click: () => actions.quit() });
  return items;
}
