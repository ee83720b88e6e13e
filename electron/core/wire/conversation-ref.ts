/** Conversation keys of the contract <-> ConversationRef of the wire. */
import { conversationKey, parseConversationKey } from '../../../shared/ipc/conversation-key';
import type { ConversationKey } from '../../../shared/ipc';
import type { ConversationType } from '../../../shared/protocol';
import { big, num, type U64 } from './ids';
import type { WireConversationRef } from './types';
import { conversationKind } from './vocabulary';

export function toWireRef(key: ConversationKey): { type: ConversationType; id: U64 } {
  const { type, id } = parseConversationKey(key);
  return { type: conversationKind.toWire(type), id: big(id) };
}

/** The key of a wire ref; undefined for a missing, unspecified or out-of-range one. */
export function fromWireRef(ref: WireConversationRef | undefined): ConversationKey | undefined {
  if (!ref) return undefined;
  const kind = conversationKind.fromWire(ref.type);
  const id = num(ref.id);
  if (!kind || !Number.isSafeInteger(id) || id <= 0) return undefined;
  return conversationKey(kind, id);
}
