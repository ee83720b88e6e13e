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
/** Login sync order: messages, then the settings shared by your devices (pins order the chat list), then the rest. */
export const syncPhases = ['messages', 'settings', 'friends', 'profiles', 'groups', 'members'] as const;
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

export const attachmentKinds = ['image', 'file'] as const;
/** `image`: shown inline (a decodable picture); `file`: a card with an icon by type. */
export type AttachmentKind = (typeof attachmentKinds)[number];

/**
 * One file of a message, as the UI sees it. Keys and digests stay in the core:
 * the UI names a file by (message id, index) and gets its bytes through
 * `readAttachment`.
 */
/** What a file is, as its message describes it (the core's stored form and the UI's view both carry this). */
export interface AttachmentMeta {
  kind: AttachmentKind;
  /** Sanitised: safe to show and to use as a file name. */
  name: string;
  /** Media type detected from the file's bytes (by the sender; the receiver checks again on download). */
  mime: string;
  /** Plaintext bytes. */
  size: number;
  /** Images: pixels, as the sender measured them (a placeholder's aspect ratio; never trusted for decoding). */
  width?: number;
  height?: number;
  /** Images: a ThumbHash placeholder, base64. */
  thumbhash?: string;
}

export interface AttachmentView extends AttachmentMeta {
  /** Position in its message. */
  index: number;
  /** Images: a small preview exists (fetched before the full picture). */
  hasThumbnail: boolean;
  /** The whole file is on this device (downloaded, or the sender's own copy). May turn false later: the cache evicts. */
  downloaded: boolean;
}

/** A file chosen in the composer, encrypted and waiting on this device until the message is sent. */
export interface StagedAttachment {
  stagingId: string;
  name: string;
  size: number;
  mime: string;
  kind: AttachmentKind;
  width?: number;
  height?: number;
  /** The UI may decode it to make a thumbnail: an inline image type whose header says it is under the pixel limit. */
  decodable: boolean;
  hasThumbnail: boolean;
}

export type TransferDirection = 'upload' | 'download';
export type TransferPart = 'file' | 'thumbnail';
export type TransferState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Progress of one upload or download (the `transferProgress` event, `listTransfers`). */
export interface TransferProgress {
  messageId: string;
  /** The attachment's index in its message. */
  index: number;
  direction: TransferDirection;
  /** Uploads send the file and its thumbnail as one transfer (`file`); downloads fetch either. */
  part: TransferPart;
  /** Bytes moved so far and in all (ciphertext). */
  bytes: number;
  total: number;
  state: TransferState;
  error?: ErrorInfo;
}

/** The bytes of a file (or of its thumbnail), decrypted, a slice at a time. */
export interface AttachmentBytes {
  /** Base64 of plaintext bytes [offset, offset + length). */
  data: string;
  /** Plaintext size of the whole file. */
  size: number;
  /** Detected from the decrypted bytes on this device. */
  mime: string;
  /** An inline image type whose header (read here, not the sender's claim) is within the decoding limits. */
  displayable: boolean;
  width?: number;
  height?: number;
}

/** An item of a conversation's media or files list. */
export interface MediaItem {
  messageId: string;
  senderId: number;
  sentAt: number;
  attachment: AttachmentView;
}

export interface AttachmentLimits {
  /** Largest file the server takes (plaintext bytes); 0: the server has attachments turned off. */
  maxFileBytes: number;
  /** Files one message may carry. */
  maxPerMessage: number;
}

/** What a message carrying files looks like in one line (conversation list, notifications): "[Photo]", "[File] name". */
export interface AttachmentSummary {
  kind: AttachmentKind;
  /** The first file's name. */
  name: string;
  count: number;
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
  /** Files carried by the message (then `text` is an optional caption). Absent when there are none. */
  attachments?: AttachmentView[];
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
  lastMessage?: { id: string; senderId: number; preview: string; at: number; status: MessageStatus; recalled: boolean; groupAction?: GroupAction; attachment?: AttachmentSummary };
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
  /** Their last-seen setting, or yours, hides their presence from you: show "last seen recently". */
  presenceHidden?: boolean;
}

/** Who may see when you were last online (enforced by the server; who hides theirs sees nobody's). */
export const lastSeenSettings = ['everyone', 'friends', 'nobody'] as const;
export type LastSeenSetting = (typeof lastSeenSettings)[number];

export interface PrivacySettings {
  lastSeen: LastSeenSetting;
}

/** One signed-in device of the account (Settings > Devices). */
export interface DeviceView {
  deviceId: string;
  name: string;
  /** 'linux', 'macos', 'windows', ...; empty when the device did not say. */
  platform: string;
  createdAt: number;
  /** Last sign-in or end of its last session (epoch ms). */
  lastActive: number;
  online: boolean;
  /** The device this app runs on. */
  current: boolean;
}

export interface FriendRequestView {
  id: number;
  direction: 'incoming' | 'outgoing';
  user: Profile;
  message: string;
  state: FriendRequestState;
  createdAt: number;
}

/** A group member's read position: messages up to `readSeq` (a conversation seq) are read. */
export interface MemberRead {
  userId: number;
  readSeq: number;
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
  /** Set when the message carries files (the snippet may be a file's name). */
  attachment?: AttachmentSummary;
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

/** Files on this device. */
export interface MediaSettings {
  /** Pictures up to this size (MiB) are downloaded as soon as they are shown; 0 = only on demand. */
  autoDownloadMiB: number;
  /** The cache of downloaded files is kept under this size (MiB), least recently used first out. */
  cacheLimitMiB: number;
}

/** The cache of downloaded files (Settings → Storage). */
export interface MediaCacheUsage {
  /** Ciphertext bytes of the complete files the cap counts (an unsent message's own files are not). */
  bytes: number;
  files: number;
  /** The cap now (settings.media.cacheLimitMiB in bytes). */
  limitBytes: number;
}

export interface Settings {
  language: LanguageSetting;
  theme: ThemeSetting;
  notifications: { privacy: NotificationPrivacy; sound: boolean };
  media: MediaSettings;
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
