/**
 * View models that cross the UI <-> core boundary (Electron IPC or the web
 * shell's WebSocket). Plain JSON-compatible data only: no classes, no bigint,
 * no Dates (times are epoch milliseconds).
 */
import type { ErrorInfo } from './errors';

/** `u:<userId>` for a 1:1 conversation, `g:<groupId>` for a group (build and parse them with ./conversation-key.ts). */
export type ConversationKey = `u:${number}` | `g:${number}`;

export const conversationKinds = ['direct', 'group'] as const;
export type ConversationKind = (typeof conversationKinds)[number];

export type ConnectionState = 'offline' | 'connecting' | 'handshaking' | 'authenticating' | 'syncing' | 'online';

export interface ServerEndpoint {
  host: string;
  port: number;
  /** The server's static Noise public key, base64 (`server key ...` line of the server). */
  publicKey: string;
}

export interface ConnectionStatus {
  state: ConnectionState;
  /** `host:port` of the endpoint in use or being tried. */
  endpoint?: string;
  /** Why the last connection attempt or session failed. */
  lastError?: ErrorInfo;
  /** When the next reconnect attempt happens (epoch ms), while offline. */
  nextRetryAt?: number;
  /** Progress of the login sync, while `syncing`. */
  sync?: { phase: SyncPhase; done: number };
}

/** Login sync phases, in the order they run. */
export const syncPhases = ['messages', 'friends', 'profiles', 'groups', 'members'] as const;
export type SyncPhase = (typeof syncPhases)[number];

export interface AccountSummary {
  userId: number;
  username: string;
  nickname: string;
  avatar: string;
  /** `host:port` of the server the account lives on. */
  server: string;
  /** A device token is stored: login needs no password. */
  canAutoLogin: boolean;
  lastLoginAt: number;
}

export interface Session {
  account: AccountSummary;
  profile: Profile;
}

export interface Profile {
  userId: number;
  username: string;
  nickname: string;
  avatar: string;
  signature: string;
}

export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export const groupActionKinds = ['created', 'membersAdded', 'membersRemoved', 'left', 'renamed', 'dissolved'] as const;
export type GroupActionKind = (typeof groupActionKinds)[number];

/** A group service message: what happened ("added Bob"); the actor is the message's sender. */
export interface GroupAction {
  kind: GroupActionKind;
  /** Who was added or removed. */
  userIds: number[];
  /** The group's name (created) or its new name (renamed). */
  name: string;
}

export interface MessageView {
  /** Stable local id (the client message id); never changes as the status moves. */
  id: string;
  conversationKey: ConversationKey;
  /** Server message id, once acknowledged. */
  serverId?: number;
  /** Position in the conversation, once acknowledged. */
  convSeq?: number;
  senderId: number;
  outgoing: boolean;
  text: string;
  /** Mentioned user ids; 0 means @all. */
  mentions: number[];
  replyTo?: { serverId: number; senderId: number; preview: string };
  /** Server time once acknowledged, local time while pending. */
  sentAt: number;
  /** For outgoing messages; incoming messages are 'sent'. */
  status: MessageStatus;
  recalled: boolean;
  /** Why a failed message failed. */
  error?: ErrorInfo;
  /** Set on a group service message (its text is empty): the UI words the action. */
  groupAction?: GroupAction;
  /** Server time of the last edit; absent if never edited. */
  editedAt?: number;
  /** Reactions in order of first use; absent when there are none. */
  reactions?: ReactionView[];
}

/** One emoji on a message: who put it there (count = userIds.length), and whether I did. */
export interface ReactionView {
  emoji: string;
  userIds: number[];
  mine: boolean;
}

export interface ConversationView {
  key: ConversationKey;
  type: ConversationKind;
  /** The peer's user id or the group id. */
  targetId: number;
  title: string;
  avatar: string;
  lastMessage?: { id: string; senderId: number; preview: string; at: number; status: MessageStatus; recalled: boolean; groupAction?: GroupAction };
  unread: number;
  /** An unread message mentions me (or @all). */
  mentioned: boolean;
  draft: string;
  pinned: boolean;
  /** Muted now (no notifications, not in the badge total). */
  muted: boolean;
  /** When a timed mute ends (epoch ms); absent when muted with no end or not muted. */
  mutedUntil?: number;
  /** The user marked it unread (a dot in the list; one in the badge total); cleared when read. */
  markedUnread: boolean;
  /** Sort time: last message or draft change. */
  updatedAt: number;
}

export const friendStates = ['friend', 'removed', 'blocked'] as const;
export type FriendState = (typeof friendStates)[number];

export const friendRequestStates = ['pending', 'accepted', 'declined'] as const;
export type FriendRequestState = (typeof friendRequestStates)[number];

export interface Contact extends Profile {
  state: FriendState;
  online: boolean;
  lastSeen: number;
}

export interface FriendRequestView {
  id: number;
  direction: 'incoming' | 'outgoing';
  user: Profile;
  message: string;
  state: FriendRequestState;
  createdAt: number;
}

export const groupRoles = ['owner', 'admin', 'member'] as const;
export type GroupRole = (typeof groupRoles)[number];

export interface GroupView {
  id: number;
  name: string;
  ownerId: number;
  memberCount: number;
  /** Undefined once you left or were removed. */
  myRole?: GroupRole;
  dissolved: boolean;
}

export interface GroupMemberView {
  groupId: number;
  userId: number;
  role: GroupRole;
  profile: Profile;
  online: boolean;
}

/** A piece of a search snippet; `hit` parts matched the query. Render as text, never as HTML. */
export interface SnippetPart {
  text: string;
  hit: boolean;
}

export interface MessageSearchHit {
  messageId: string;
  conversationKey: ConversationKey;
  conversationTitle: string;
  senderId: number;
  sentAt: number;
  snippet: SnippetPart[];
}

export type NotificationPrivacy = 'off' | 'count' | 'sender' | 'full';
export type ThemeSetting = 'system' | 'light' | 'dark';
export type LanguageSetting = 'system' | 'en' | 'zh-CN';
export type UpdateChannel = 'stable' | 'beta';

export type ProxyType = 'none' | 'socks5' | 'http';

/** How the core reaches the server: directly, or through a SOCKS5 / HTTP CONNECT proxy. */
export interface ProxySettings {
  type: ProxyType;
  host: string;
  port: number;
  /** Empty: the proxy needs no authentication. */
  username: string;
  password: string;
}

export interface Settings {
  language: LanguageSetting;
  theme: ThemeSetting;
  notifications: { privacy: NotificationPrivacy; sound: boolean };
  closeToTray: boolean;
  startHidden: boolean;
  /** Desktop app: start (hidden in the tray) when the user logs in to the computer. */
  startAtLogin: boolean;
  /** Desktop app: spelling check in text fields; `languages` empty = the app's language. */
  spellcheck: { enabled: boolean; languages: string[] };
  proxy: ProxySettings;
  updateChannel: UpdateChannel;
  /** Tried in order; the first reachable one is used. */
  servers: ServerEndpoint[];
}

export type UpdateState = 'idle' | 'checking' | 'available' | 'downloading' | 'ready' | 'up-to-date' | 'error' | 'unsupported' | 'disabled';

export interface UpdateStatus {
  state: UpdateState;
  channel: UpdateChannel;
  currentVersion: string;
  availableVersion?: string;
  /** 0..100 while downloading. */
  percent?: number;
  error?: string;
  lastCheckedAt?: number;
  /** The user chose to skip `availableVersion`: it is neither downloaded nor installed; a newer one is offered again. */
  skipped?: boolean;
  /** With state 'disabled': an administrator's policy turned updates off, or a package manager owns this install (deb). */
  disabledBy?: 'admin' | 'package-manager';
}

export interface AppInfo {
  name: string;
  version: string;
  shell: 'electron' | 'web';
  platform: string;
  /** What this shell can do beyond the core (absent: nothing, as in the web shell). */
  desktop?: {
    /** Spelling languages to choose from; null where the operating system chooses (macOS). */
    spellcheckLanguages: string[] | null;
    startAtLogin: boolean;
    debugLog: boolean;
  };
}

export interface Page<T> {
  items: T[];
  /** Pass back to get the next page; absent on the last page. */
  nextCursor?: string;
}

export interface MessagePage {
  messages: MessageView[]; // ascending order
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
}
