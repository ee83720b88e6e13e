/**
 * Read positions for the server (MARK_READ): the newest position per
 * conversation is kept until the server took it, and sent again whenever the
 * connection comes back, so a chat read offline is read on the other devices
 * too.
 */
import type { ConversationKey } from '../../../shared/ipc';
import { Command } from '../../../shared/protocol';
import type { Link } from '../connection-manager';
import { toErrorInfo } from '../errors';
import type { Logger } from '../log';
import { big, toWireRef } from '../wire';

export class ReadReporter {
  private readonly pending = new Map<ConversationKey, number>();

  constructor(
    private readonly link: () => Link | undefined,
    private readonly log: Logger,
  ) {}

  /** MARK_READ up to `convSeq` now, or when the connection is back. */
  report(key: ConversationKey, convSeq: number): void {
    if (convSeq <= 0) return;
    this.pending.set(key, Math.max(convSeq, this.pending.get(key) ?? 0));
    this.flush();
  }

  /** Sends every position the server has not confirmed yet. */
  flush(): void {
    const link = this.link();
    if (!link) return;
    for (const [key, seq] of [...this.pending]) {
      link
        .request(Command.MARK_READ, { conversation: toWireRef(key), upToConvSeq: big(seq) })
        .then(() => {
          if (this.pending.get(key) === seq) this.pending.delete(key);
        })
        .catch((err: unknown) => this.log.debug({ err: toErrorInfo(err) }, 'mark read not sent'));
    }
  }
}
