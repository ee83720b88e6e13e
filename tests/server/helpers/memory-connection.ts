/** An in-memory FrameConnection: records what the server sends, closes on request. */
import { EventEmitter } from 'node:events';
import type { Frame } from '../../../shared/protocol';
import type { CloseReason, FrameConnection } from '../../../server/net/session';

export class MemoryConnection extends EventEmitter implements FrameConnection {
  readonly remoteAddress = '127.0.0.1';
  closed = false;
  sent: Frame[] = [];
  closeReason: CloseReason | undefined;
  send(frame: Frame): boolean {
    if (this.closed) return false;
    this.sent.push(frame);
    return true;
  }
  close(error?: CloseReason): void {
    this.closed = true;
    this.closeReason = error;
  }
  destroy(error?: CloseReason): void {
    this.close(error);
  }
}
