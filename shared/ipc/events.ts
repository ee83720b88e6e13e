/**
 * Events the core (or the shell) pushes to the UI. The preload exposes one
 * subscription function per event: `on<Name>` (e.g. `onMessagesChanged`).
 */
import type {
  ConnectionStatus,
  Contact,
  ConversationKey,
  ConversationView,
  FriendRequestView,
  GroupMemberView,
  GroupView,
  MessageView,
  PrivacySettings,
  Settings,
  TransferProgress,
  UpdateStatus,
} from './types';
import type { ErrorInfo } from './errors';

export const kickReasons = ['other-login', 'account-disabled', 'token-revoked'] as const;
export type KickReason = (typeof kickReasons)[number];

export type SessionEndReason = 'logout' | 'kicked' | 'password-required';

export interface MessengerEvents {
  connectionState: ConnectionStatus;
  /** New or changed messages (status, ack, recall, receipts); apply by `id`. */
  messagesChanged: { messages: MessageView[] };
  messagesRemoved: { key: ConversationKey; ids: string[] };
  /** New or changed conversations; apply by `key`. */
  conversationsChanged: { conversations: ConversationView[] };
  conversationRemoved: { key: ConversationKey };
  /** Total unread of unmuted conversations (the badge number). */
  unreadTotal: { total: number };
  typing: { key: ConversationKey; userId: number; typing: boolean };
  presence: { userId: number; online: boolean; lastSeen: number; hidden?: boolean };
  /** The account's privacy settings changed (here or on another device). */
  privacyChanged: PrivacySettings;
  friendsChanged: { friends: Contact[] };
  friendRequestsChanged: { requests: FriendRequestView[] };
  groupsChanged: { groups: GroupView[] };
  membersChanged: { groupId: number; members: GroupMemberView[] };
  /** The server ended this session (another login, account disabled, token revoked); the core does not reconnect by itself. */
  kicked: { reason: KickReason; deviceName?: string };
  /** The stored device token was rejected: ask for the password. */
  passwordRequired: { username: string };
  /** The session ended (logout, kicked, or the stored sign-in was rejected). */
  sessionEnded: { reason: SessionEndReason };
  settingsChanged: Settings;
  /** The cache could not be opened and was moved aside (`movedTo`), then rebuilt from the server. */
  cacheRecovered: { error: ErrorInfo; movedTo: string; recoveredOutbox: number };
  updateStatus: UpdateStatus;
  /** The shell asks the UI to open a conversation (a notification was clicked, a tern://chat link). */
  openConversation: { key: ConversationKey };
  /** The shell asks the UI to show a user (a tern://user link): the profile of a friend, else "add friend". */
  openUser: { username: string };
  /** An upload or download moved (at most a few times a second per transfer), started, ended or failed. */
  transferProgress: TransferProgress;
}

export type EventName = keyof MessengerEvents;

/** Runtime list of event names (kept in sync with the interface by the check below). */
export const eventNames = [
  'connectionState',
  'messagesChanged',
  'messagesRemoved',
  'conversationsChanged',
  'conversationRemoved',
  'unreadTotal',
  'typing',
  'presence',
  'privacyChanged',
  'friendsChanged',
  'friendRequestsChanged',
  'groupsChanged',
  'membersChanged',
  'kicked',
  'passwordRequired',
  'sessionEnded',
  'settingsChanged',
  'cacheRecovered',
  'updateStatus',
  'openConversation',
  'openUser',
  'transferProgress',
] as const satisfies readonly EventName[];

type _AllEventsListed = Exclude<EventName, (typeof eventNames)[number]> extends never ? true : never;
const _allEventsListed: _AllEventsListed = true;
void _allEventsListed;

/** `connectionState` -> `onConnectionState`. */
export type SubscriptionName<E extends EventName> = `on${Capitalize<E>}`;

export function subscriptionName<E extends EventName>(event: E): SubscriptionName<E> {
  return `on${event[0]!.toUpperCase()}${event.slice(1)}` as SubscriptionName<E>;
}
