/**
 * SYNC: the user's events after a cursor, in pages bounded by count and by
 * frame size (server/operations/sync.ts). Pulling message events also
 * records them as delivered.
 */
import { SyncDomain, type SyncRequest, type SyncResponse } from '../../shared/protocol';
import { syncEvents } from '../operations/sync';
import type { Caller, ServiceDeps } from './deps';
import { invalid } from './errors';
import type { MessageService } from './messages';
import { toNumber } from './validate';

const validDomains = new Set<number>([SyncDomain.MESSAGES, SyncDomain.FRIENDS, SyncDomain.PROFILES, SyncDomain.GROUPS, SyncDomain.MEMBERS, SyncDomain.SETTINGS]);

export class SyncService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly messages: MessageService,
  ) {}

  async sync(caller: Caller, req: SyncRequest): Promise<SyncResponse> {
    const { config } = this.deps;
    const limit = req.limit === 0 ? config.syncDefaultLimit : Math.min(req.limit, config.syncMaxLimit);
    const domains = [...new Set(req.domains)];
    for (const d of domains) if (!validDomains.has(d)) throw invalid('domains', `unknown domain ${d}`);
    const cursor = toNumber('cursor', req.cursor);
    // Stay well inside one frame: the budget leaves room for the header and the envelope.
    const page = await this.deps.run.read(syncEvents, { userId: caller.userId, cursor, limit, domains, budget: config.maxFrameSize - 1024 });
    this.messages.pulled(caller.userId, page.deliveries);
    return page.response;
  }
}
