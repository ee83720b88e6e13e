/**
 * A fake MessengerApi for component and store tests: every method is a
 * vi.fn with a harmless default result (override per test), and `emit`
 * delivers an event to whatever the stores subscribed.
 */
import { vi, type Mock } from 'vitest';
import {
  eventNames,
  methodNames,
  subscriptionName,
  type EventName,
  type MessengerApi,
  type MessengerEvents,
  type MethodName,
  type MethodResults,
  type MessageView,
  type ConversationView,
  type Settings,
  defaultSettings,
} from '../../shared/ipc';

type Handler<M extends MethodName> = (args: Parameters<MessengerApi[M]>[0]) => MethodResults[M] | Promise<MethodResults[M]>;
export type Overrides = { [M in MethodName]?: Handler<M> };

export const testSettings: Settings = {
  ...defaultSettings([{ host: '127.0.0.1', port: 7788, publicKey: 'A'.repeat(43) + '=' }]),
  language: 'en',
  theme: 'light',
};

const defaults: { [M in MethodName]?: () => MethodResults[M] } = {
  listAccounts: () => [],
  getSession: () => null,
  getConnectionStatus: () => ({ state: 'online' }),
  listConversations: () => ({ items: [] }),
  getConversation: () => null,
  getLastConversation: () => null,
  loadMessages: () => ({ messages: [], hasMoreBefore: false, hasMoreAfter: false }),
  searchMessages: () => [],
  listTransfers: () => [],
  getMediaCache: () => ({ bytes: 0, files: 0, limitBytes: 2048 * 1024 * 1024 }),
  getAttachmentLimits: () => ({ maxFileBytes: 100 * 1024 * 1024, maxPerMessage: 10 }),
  listFriends: () => [],
  listFriendRequests: () => [],
  findUser: () => null,
  getProfiles: () => [],
  listGroups: () => [],
  getGroup: () => null,
  listGroupMembers: () => [],
  groupReads: () => [],
  getSettings: () => testSettings,
  updateSettings: () => testSettings,
  getAppInfo: () => ({ name: 'Tern', version: '0.1.0', shell: 'web', platform: 'linux' }),
  getUpdateStatus: () => ({ state: 'unsupported', channel: 'stable', currentVersion: '0.1.0' }),
  checkForUpdates: () => ({ state: 'unsupported', channel: 'stable', currentVersion: '0.1.0' }),
};

export interface FakeApi {
  api: MessengerApi;
  calls: { [M in MethodName]: Mock };
  emit<E extends EventName>(event: E, payload: MessengerEvents[E]): void;
  listenerCount(event: EventName): number;
}

export function createFakeApi(overrides: Overrides = {}): FakeApi {
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const api: Record<string, unknown> = {};
  const calls = {} as { [M in MethodName]: Mock };
  for (const m of methodNames) {
    const impl = (overrides as Record<string, ((a: unknown) => unknown) | undefined>)[m] ?? (defaults as Record<string, (() => unknown) | undefined>)[m];
    const fn = vi.fn(async (args: unknown) => (impl ? impl(args) : undefined));
    calls[m] = fn;
    api[m] = fn;
  }
  for (const e of eventNames) {
    api[subscriptionName(e)] = (listener: (p: unknown) => void) => {
      const set = listeners.get(e) ?? new Set();
      set.add(listener);
      listeners.set(e, set);
      return () => set.delete(listener);
    };
  }
  return {
    api: api as unknown as MessengerApi,
    calls,
    emit: (event, payload) => listeners.get(event)?.forEach((l) => l(payload)),
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
  };
}

let clientSeq = 0;
export function msg(over: Partial<MessageView> & { convSeq?: number }): MessageView {
  clientSeq++;
  return {
    id: over.id ?? `m${over.convSeq ?? `p${clientSeq}`}`,
    conversationKey: 'u:2',
    senderId: 2,
    outgoing: false,
    text: `message ${over.convSeq ?? clientSeq}`,
    mentions: [],
    sentAt: 1_700_000_000_000 + (over.convSeq ?? 1000 + clientSeq) * 1000,
    status: 'sent',
    recalled: false,
    ...(over.convSeq !== undefined ? { serverId: over.convSeq + 10_000 } : {}),
    ...over,
  };
}

export function conv(over: Partial<ConversationView> & { key: ConversationView['key'] }): ConversationView {
  const group = over.key.startsWith('g:');
  return {
    type: group ? 'group' : 'direct',
    targetId: Number(over.key.slice(2)),
    title: `Chat ${over.key}`,
    avatar: '',
    unread: 0,
    mentioned: false,
    draft: '',
    pinned: false,
    muted: false,
    markedUnread: false,
    updatedAt: 1_700_000_000_000,
    ...over,
  };
}
