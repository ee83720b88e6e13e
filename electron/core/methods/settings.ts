/** The contract's settings methods. */
import type { ServerEndpoint, Settings } from '../../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../../shared/ipc/api';
import { sameEndpoint, type AccountStore } from '../account-store';
import type { CoreEmitter } from '../events';
import { sameProxy } from '../proxy-settings';
import type { SettingsPatch, SettingsStore } from '../settings-store';
import type { SessionSlot } from './session-slot';

export class SettingsMethods implements Pick<CoreMethods, 'getSettings' | 'updateSettings'> {
  constructor(
    private readonly settings: SettingsStore,
    private readonly accounts: AccountStore,
    private readonly sessions: SessionSlot,
    private readonly events: CoreEmitter,
  ) {}

  getSettings = async (): Promise<Settings> => this.settings.get();

  updateSettings = async (args: ParsedArgs<'updateSettings'>): Promise<Settings> => {
    const before = this.settings.get();
    const next = this.settings.update(args as SettingsPatch);
    const session = this.sessions.current;
    if (args.servers && session && !sameList(before.servers, next.servers)) {
      const stored = session.userId !== undefined ? this.accounts.byId(session.userId) : undefined;
      // Accounts that follow the settings' server list pick up the change at the next attempt.
      if (!stored || sameList(stored.endpoints, before.servers)) {
        session.setEndpoints(next.servers);
        if (stored) this.accounts.upsert({ ...stored, endpoints: next.servers });
      }
    }
    // A new proxy is used from the next connection on; if there is none now, that is at once.
    if (args.proxy && !sameProxy(before.proxy, next.proxy)) session?.reconnectNow();
    // A lower cache cap applies now, not at the next download.
    if (next.media.cacheLimitMiB < before.media.cacheLimitMiB) {
      const scope = session?.live ? session.scope : undefined;
      void scope?.attachments.transfers.enforceCacheLimit().catch(() => undefined);
    }
    this.events.emit('settingsChanged', next);
    return next;
  };
}

function sameList(a: readonly ServerEndpoint[], b: readonly ServerEndpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => sameEndpoint(e, b[i]!));
}
