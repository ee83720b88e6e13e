/** Conversation keys of the IPC contract <-> ConversationRef of the wire. */
import type { ConversationKey } from '../../shared/ipc';
import { directKey, groupKey, parseConversationKey } from '../../shared/ipc/conversation-key';
import { ConversationType } from '../../shared/protocol';
import { big, num, type U64 } from './ids';

export function toWireRef(key: ConversationKey): { type: ConversationType; id: U64 } {
  const parsed = parseConversationKey(key);
  return { type: parsed.type === 'group' ? ConversationType.GROUP : ConversationType.DIRECT, id: big(parsed.id) };
}

export function fromWireRef(ref: { type: ConversationType; id: bigint | number } | undefined): ConversationKey | undefined {
  if (!ref) return undefined;
  const id = num(ref.id);
  if (!(id > 0)) return undefined;
  switch (ref.type) {
    case ConversationType.DIRECT:
      return directKey(id);
    case ConversationType.GROUP:
      return groupKey(id);
    default:
      return undefined;
  }
}
