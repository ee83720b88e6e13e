/**
 * Electron IPC channel names of the contract, shared by the preload (which
 * invokes and listens) and the main process (which handles and sends).
 */
export const callChannelPrefix = 'tern:';
export const eventChannelPrefix = 'tern:event:';

export function callChannel(method: string): string {
  return `${callChannelPrefix}${method}`;
}

export function eventChannel(event: string): string {
  return `${eventChannelPrefix}${event}`;
}
