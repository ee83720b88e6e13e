/** For the resync after lost bus messages (server/cluster/resync.ts): each user's newest event and friends. */
import { toBinary } from '@bufbuild/protobuf';
import { FriendState, SyncEventSchema } from '../../shared/protocol';
import { loadEvent } from './events';
import { readOperation } from './operation';

export interface NewestOf {
  userId: number;
  /** The newest SyncEvent, encoded with its seq (absent: the user has no events). */
  payload?: Uint8Array;
  friends: number[];
}

export const newestEvents = readOperation('resync.newest', async ({ tx }, userIds: number[]): Promise<NewestOf[]> => {
  const out: NewestOf[] = [];
  for (const userId of userIds) {
    const head = await tx.sequences.head(userId);
    const row = head > 0 ? (await tx.events.list(userId, head - 1, 1, []))[0] : undefined;
    const event = row && (await loadEvent(tx, row));
    out.push({ userId, payload: event && toBinary(SyncEventSchema, event), friends: await tx.friends.ids(userId, FriendState.FRIEND) });
  }
  return out;
});
