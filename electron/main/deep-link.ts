/**
 * `tern://` links: another app, a web page or a chat hands the desktop app
 * a link, and the app opens that chat or user.
 *
 *   tern://chat/u/<userId>     the one-to-one chat with a user
 *   tern://chat/g/<groupId>    a group's chat
 *   tern://user/<username>     a user: their profile if a friend, else "add friend"
 *
 * Anything else is refused (and logged without its content): the link comes
 * from outside, so it is parsed strictly: the exact scheme, no credentials,
 * port, query or fragment, ids in range, usernames as the server allows them,
 * at most 200 characters. The link can only open a view; it never sends,
 * accepts or changes anything.
 *
 * Links arrive as a command-line argument (Windows, Linux: at start, and via
 * `second-instance` when the app already runs) or as macOS's `open-url`.
 */
import type { ConversationKey } from '../../shared/ipc';

export type DeepLink = { kind: 'chat'; key: ConversationKey } | { kind: 'user'; username: string };

export const linkScheme = 'tern';
const MAX_LENGTH = 200;
const ID = /^[1-9][0-9]{0,15}$/;
const USERNAME = /^[a-z0-9_.-]{3,32}$/;

export function parseDeepLink(raw: unknown): DeepLink | null {
  if (typeof raw !== 'string' || raw.length > MAX_LENGTH || !/^tern:\/\//i.test(raw)) return null;
  // Only printable ASCII: no spaces, controls or look-alike characters.
  if (!/^[\x21-\x7e]+$/.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== `${linkScheme}:` || url.username || url.password || url.port || url.search || url.hash || raw.includes('?') || raw.includes('#')) return null;
  // One trailing slash is tolerated: some launchers add it.
  const parts = url.pathname.replace(/(.)\/$/, '$1').split('/').slice(1);
  if (url.hostname === 'chat' && parts.length === 2 && (parts[0] === 'u' || parts[0] === 'g') && ID.test(parts[1]!)) {
    const id = Number(parts[1]);
    if (!Number.isSafeInteger(id)) return null;
    return { kind: 'chat', key: `${parts[0]}:${id}` as ConversationKey };
  }
  if (url.hostname === 'user' && parts.length === 1 && USERNAME.test(parts[0]!)) return { kind: 'user', username: parts[0]! };
  return null;
}

/** The link among command-line arguments (Windows and Linux pass it as one), if any. */
export function linkFromArgv(argv: readonly string[]): string | undefined {
  return argv.find((a) => /^tern:/i.test(a));
}

/**
 * Takes links as they arrive and hands valid ones to the UI once it can
 * listen (a link that starts the app arrives before the window has loaded;
 * the newest one wins). Invalid links are logged by source and length only.
 */
export class LinkRouter {
  private ready = false;
  private pending: DeepLink | null = null;

  constructor(
    private readonly deliver: (link: DeepLink) => void,
    private readonly log?: { warn(obj: object, msg: string): void },
  ) {}

  receive(raw: unknown, source: 'argv' | 'open-url' | 'second-instance'): boolean {
    const link = parseDeepLink(raw);
    if (!link) {
      this.log?.warn({ source, length: typeof raw === 'string' ? raw.length : -1 }, 'refused a tern:// link');
      return false;
    }
    if (this.ready) this.deliver(link);
    else this.pending = link;
    return true;
  }

  /** The UI (re)loaded and listens again, or went away. */
  setReady(ready: boolean): void {
    this.ready = ready;
    if (ready && this.pending) {
      const link = this.pending;
      this.pending = null;
      this.deliver(link);
    }
  }
}
