/** Conversation keys of the IPC contract <-> ConversationRef of the wire. */
import type { ConversationKey } from '../../shared/ipc';
import { parseConversationKey } from '../../shared/ipc/conversation-key';
import { ConversationType } from '../../shared/protocol';
import { big, type U64 } from './ids';

export { keyOfRef as fromWireRef } from './cache/wire';

export function toWireRef(key: ConversationKey): { type: ConversationType; id: U64 } {
  const parsed = parseConversationKey(key);
  return { type: parsed.type === 'group' ? ConversationType.GROUP : ConversationType.DIRECT, id: big(parsed.id) };
}
