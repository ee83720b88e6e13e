/** IPC channel names shared by the preload and the main process (no imports: safe for both). */
export const callChannelPrefix = 'tern:';
export const eventChannelPrefix = 'tern:event:';

export function callChannel(method: string): string {
  return `${callChannelPrefix}${method}`;
}

export function eventChannel(event: string): string {
  return `${eventChannelPrefix}${event}`;
}
