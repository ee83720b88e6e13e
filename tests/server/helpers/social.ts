/** Shortcuts for common test setups. */
import { randomUUID } from 'node:crypto';
import { Command, ConversationType, type SendMessageAck } from '../../../shared/protocol';
import type { TestClient } from './client';

export async function befriend(a: TestClient, b: TestClient): Promise<void> {
  const request = await a.call(Command.FRIEND_REQUEST, { target: { case: 'userId', value: BigInt(b.userId) } });
  await b.call(Command.FRIEND_ACCEPT, { requestId: request.requestId });
}

export function direct(peer: TestClient | number) {
  return { type: ConversationType.DIRECT, id: BigInt(typeof peer === 'number' ? peer : peer.userId) };
}

export function group(id: bigint | number) {
  return { type: ConversationType.GROUP, id: BigInt(id) };
}

export function sendText(from: TestClient, to: { type: ConversationType; id: bigint }, text: string, extra: { clientMsgId?: string; replyToMsgId?: bigint; mentions?: bigint[] } = {}): Promise<SendMessageAck> {
  return from.call(Command.MESSAGE_SEND, {
    to,
    clientMsgId: extra.clientMsgId ?? randomUUID(),
    text,
    replyToMsgId: extra.replyToMsgId ?? 0n,
    mentions: (extra.mentions ?? []).map((userId) => ({ userId })),
  });
}
