import type { Socket } from 'node:net';

/** How long a gracefully ended socket may wait for the peer's FIN before it is destroyed. */
export const DEFAULT_LINGER_MS = 5_000;

/**
 * Ends the socket (flushing what is queued) and destroys it if the peer has
 * not closed its side within `lingerMs`, so a silent peer cannot keep a
 * closing socket alive. The timer is unref'd and cleared on close.
 */
export function endSocket(socket: Socket, lingerMs = DEFAULT_LINGER_MS): void {
  if (socket.destroyed) return;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
