import type { SyncDomain } from '../../../shared/protocol';
import type { Cache } from '../cache/api';

/**
 * Where the answer to a request goes in the cache's order of snapshots. The
 * cache orders them by sync seq; an answer is at least as new as everything
 * applied so far, so it goes in at the domain's cursor: it wins over what is
 * cached, and the server's own event (a higher seq) still wins over it.
 */
export function responseSeq(cache: Cache, domain: SyncDomain): number {
  return cache.syncState.getCursor(domain);
}
