/**
 * After bus messages may have been lost: each user on this node is offered
 * their newest stored event again (a client that missed anything before it
 * sees a gap and pulls; one that is up to date ignores it) and their
 * friends' presence as it is now. Typing notices are not made good: they
 * are momentary, and clients expire them on their own.
 *
 * Users are handled in slices, so a node holding many users keeps serving
 * while it catches up.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { Command, PresenceQuerySchema, PresenceSchema } from '../../shared/protocol';
import type { SessionRegistry } from '../net/registry';
import { newestEvents } from '../operations/resync';
import type { Runner } from '../services/runner';
import type { PresenceService } from '../services/presence';

const SLICE = 100;
/** PRESENCE_QUERY's own limit: friends beyond it get presence at their next change. */
const MAX_PRESENCE = 1000;

export async function reofferToUsers(run: Runner, presence: PresenceService, registry: SessionRegistry, userIds: readonly number[]): Promise<void> {
  for (let i = 0; i < userIds.length; i += SLICE) {
    const slice = userIds.slice(i, i + SLICE).filter((id) => registry.sessionsOf(id));
    for (const { userId, payload, friends } of await run.read(newestEvents, slice)) {
      if (payload) registry.deliverLocal(userId, Command.PUSH, payload);
      if (friends.length === 0) continue;
      const list = await presence.query({ userId, sessionId: 0 }, create(PresenceQuerySchema, { userIds: friends.slice(0, MAX_PRESENCE).map(BigInt) }));
      for (const p of list.presences) registry.deliverLocal(userId, Command.PRESENCE_PUSH, toBinary(PresenceSchema, p));
    }
  }
}
