export { startWebShell, defaultWebShellLimits, webSocketPath } from './web-shell';
export type { WebShell, WebShellOptions, WebShellLimits } from './web-shell';
export { silentLog, type ShellLog } from './log';
export { startWebShellCore, type WebShellCoreOptions } from './core';
