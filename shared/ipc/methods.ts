/**
 * The messenger API the UI may call: one entry per method, with the runtime
 * schema of its single argument object and (type-only) its result.
 *
 * Every payload that crosses into the main process or the web shell host is
 * parsed with `methodSchemas[name]` before it reaches the core, so the core
 * never sees unchecked input. Add a method here, and the preload, the IPC
 * wiring, the web shell and the renderer client pick it up by name.
 */
import { z } from 'zod';
import { charCount, MAX_DRAFT_LENGTH, MAX_MESSAGE_LENGTH } from '../util/text';
import { isConversationKey } from './conversation-key';
import { groupRoles, lastSeenSettings } from './types';
import type {
  AccountSummary,
  AttachmentBytes,
  DeviceView,
  PrivacySettings,
  AttachmentLimits,
  MediaCacheUsage,
  MediaItem,
  StagedAttachment,
  TransferProgress,
  AppInfo,
  ConnectionStatus,
  Contact,
  ConversationKey,
  ConversationView,
  FriendRequestView,
  GroupMemberView,
  MemberRead,
  GroupView,
  MessagePage,
  MessageSearchHit,
  Page,
  Profile,
  Session,
  Settings,
  UpdateStatus,
} from './types';

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** Checked as `u:<id>` / `g:<id>`, so the parsed value is typed as a ConversationKey. */
const conversationKey = z
  .string()
  .refine(isConversationKey, 'conversation key must be u:<id> or g:<id>')
  .transform((value) => value as ConversationKey);
const messageId = z.string().min(1).max(64);
const limit = (max: number) => z.number().int().min(1).max(max).optional();
const cursor = z.string().max(256).optional();
const username = z.string().min(3).max(32).regex(/^[a-z0-9_.-]+$/, 'username may use a-z 0-9 _ . -');
const password = z.string().min(8).max(256);
const endpoint = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  publicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'public key must be 32 bytes of base64'),
});
const none = z.object({}).strict();
/** Largest slice of a file in one call, either way (1 MiB; 1.4 MB of base64). */
export const MAX_ATTACHMENT_SLICE = 1024 * 1024;
/** The slice the UI hands a file over in: its base64 call fits the smallest message a shell takes (the web shell's 256 KiB). */
export const ATTACHMENT_UPLOAD_SLICE = 160 * 1024;
/** The slice the UI reads a file back in (answers go the other way, bounded by the shell's send buffer). */
export const ATTACHMENT_READ_SLICE = 512 * 1024;
const base64Slice = z.base64().max(Math.ceil(MAX_ATTACHMENT_SLICE / 3) * 4);
const stagingId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'stagingId is an id from beginAttachment');
const attachmentRef = { messageId, index: z.number().int().min(0).max(99) };
const part = z.enum(['file', 'thumbnail']);
const byteCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A spelling language as Chromium names its dictionaries: `en-US`, `de`, `pt-BR`. */
const spellLanguage = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'not a language tag');
const proxySettings = z
  .object({
    type: z.enum(['none', 'socks5', 'http']),
    host: z.string().max(253).regex(/^[^\s/@]*$/, 'proxy host must be a name or an address'),
    port: z.number().int().min(1).max(65535),
    username: z.string().max(255),
    password: z.string().max(255),
  })
  .strict()
  .refine((p) => p.type === 'none' || p.host.length > 0, { message: 'a proxy needs a host', path: ['host'] });

/** The fields of `Settings` the UI chooses (servers apart): one list for the stored file and `updateSettings`. */
const settingsChoices = {
  language: z.enum(['system', 'en', 'zh-CN']),
  theme: z.enum(['system', 'light', 'dark']),
  notifications: z.object({ privacy: z.enum(['off', 'count', 'sender', 'full']), sound: z.boolean() }),
  media: z.object({ autoDownloadMiB: z.number().int().min(0).max(1024), cacheLimitMiB: z.number().int().min(1).max(1024 * 1024) }),
  closeToTray: z.boolean(),
  startHidden: z.boolean(),
  startAtLogin: z.boolean(),
  spellcheck: z.object({ enabled: z.boolean(), languages: z.array(spellLanguage).max(8) }).strict(),
  proxy: proxySettings,
  updateChannel: z.enum(['stable', 'beta']),
};

/** The choices a settings screen offers: the very lists the schemas accept. */
export const settingsOptions = {
  language: settingsChoices.language.options,
  theme: settingsChoices.theme.options,
  privacy: settingsChoices.notifications.shape.privacy.options,
  updateChannel: settingsChoices.updateChannel.options,
  proxyType: settingsChoices.proxy.shape.type.options,
};

/** A whole `Settings` object as the core stores it (settings.json); endpoints are checked loosely there. */
export const storedSettingsSchema = z.object({
  ...settingsChoices,
  servers: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), publicKey: z.string() })),
});

export const methodSchemas = {
  // Accounts and session
  register: z.object({ username, password, nickname: z.string().min(1).max(64).optional(), server: endpoint.optional() }).strict(),
  login: z
    .object({
      username,
      /** Absent: use the device token stored for this account. */
      password: password.optional(),
      server: endpoint.optional(),
      kickOtherSessions: z.boolean().optional(),
    })
    .strict(),
  logout: z.object({ forget: z.boolean().optional() }).strict(),
  listAccounts: none,
  removeAccount: z.object({ userId: id }).strict(),
  getSession: none,
  getConnectionStatus: none,
  /** Reconnect now instead of waiting for the back-off (the banner's retry button). */
  reconnect: none,

  // Conversations and messages
  listConversations: z.object({ limit: limit(500), cursor }).strict(),
  getConversation: z.object({ key: conversationKey }).strict(),
  loadMessages: z
    .object({
      key: conversationKey,
      /** Without an anchor: the latest page. */
      anchor: z.object({ messageId, direction: z.enum(['before', 'after', 'around']) }).strict().optional(),
      limit: limit(200),
    })
    .strict(),
  sendMessage: z
    .object({
      key: conversationKey,
      // The text, or with attachments an optional caption (then it may be empty: the object's refine below).
      // UTF-16 units first (cheap, bounds the work), then characters as the server counts them.
      text: z
        .string()
        .max(2 * MAX_MESSAGE_LENGTH)
        .refine((t) => charCount(t) <= MAX_MESSAGE_LENGTH, `at most ${MAX_MESSAGE_LENGTH} characters`),
      mentions: z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).max(100).optional(),
      replyToServerId: id.optional(),
      /** Files staged with beginAttachment/finishAttachment (the server's `maxPerMessage` applies). */
      attachments: z.array(stagingId).min(1).max(100).optional(),
    })
    .strict()
    .refine((m) => m.text.length > 0 || (m.attachments?.length ?? 0) > 0, { message: 'a message needs text or attachments', path: ['text'] }),
  resendMessage: z.object({ messageId }).strict(),
  deleteMessage: z.object({ messageId }).strict(),
  recallMessage: z.object({ messageId }).strict(),
  /** Own messages, within the server's edit window; online only. */
  editMessage: z
    .object({ messageId, text: z.string().max(8000), mentions: z.array(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)).max(100).optional() })
    .strict(),
  /** Sets (`on`) or clears one of my reactions; online only; idempotent. */
  reactToMessage: z.object({ messageId, emoji: z.string().min(1).max(32), on: z.boolean() }).strict(),
  /** Sends the messages (text and files: the same blobs, not uploaded again), in order, to each conversation. */
  forwardMessages: z.object({ messageIds: z.array(messageId).min(1).max(100), to: z.array(conversationKey).min(1).max(20) }).strict(),
  markRead: z.object({ key: conversationKey }).strict(),
  setDraft: z.object({ key: conversationKey, text: z.string().max(2 * MAX_DRAFT_LENGTH) }).strict(),
  setPinned: z.object({ key: conversationKey, pinned: z.boolean() }).strict(),
  /** Without `durationMs`, muted until unmuted; with it, it unmutes by itself (at most a year). */
  setMuted: z.object({ key: conversationKey, muted: z.boolean(), durationMs: z.number().int().min(60_000).max(366 * 24 * 3_600_000).optional() }).strict(),
  markUnread: z.object({ key: conversationKey }).strict(),
  /** Removes the conversation and its messages from this device (it comes back with the next message). */
  deleteConversation: z.object({ key: conversationKey }).strict(),
  /** The conversation open in the UI (restored at the next launch), or null. */
  setLastConversation: z.object({ key: conversationKey.nullable() }).strict(),
  getLastConversation: none,
  sendTyping: z.object({ key: conversationKey, typing: z.boolean() }).strict(),
  searchMessages: z.object({ query: z.string().min(1).max(200), key: conversationKey.optional(), limit: limit(200) }).strict(),

  // Attachments. Composer: beginAttachment, appendAttachment (the bytes, in order, a slice at a time),
  // finishAttachment, then (images) setAttachmentThumbnail; sendMessage takes the staging ids.
  getAttachmentLimits: none,
  beginAttachment: z.object({ name: z.string().min(1).max(1024), size: byteCount }).strict(),
  appendAttachment: z.object({ stagingId, offset: byteCount, data: base64Slice }).strict(),
  finishAttachment: z.object({ stagingId }).strict(),
  /** A thumbnail the UI drew (WebP/JPEG/PNG, at most 1 MiB) and the ThumbHash of the picture (at most 64 bytes). */
  setAttachmentThumbnail: z.object({ stagingId, thumbnail: base64Slice, thumbhash: z.base64().max(88) }).strict(),
  discardAttachment: z.object({ stagingId }).strict(),
  /** Fetches a file (or its thumbnail) into the cache; progress arrives as `transferProgress`. */
  downloadAttachment: z.object({ ...attachmentRef, part: part.optional() }).strict(),
  /** Stops an upload (its message fails with CANCELLED, ready to resend) or a download. */
  cancelTransfer: z.object({ ...attachmentRef }).strict(),
  listTransfers: none,
  /** Decrypted bytes of a cached file (downloaded first if needed), a slice at a time. */
  readAttachment: z.object({ ...attachmentRef, part: part.optional(), offset: byteCount.optional(), length: z.number().int().min(1).max(MAX_ATTACHMENT_SLICE).optional() }).strict(),
  /** A conversation's pictures (`media`) or other files (`files`), newest first. */
  listMedia: z.object({ key: conversationKey, kind: z.enum(['media', 'files']), limit: limit(200), cursor }).strict(),
  /** What the cache of downloaded files holds (the cap is settings.media.cacheLimitMiB; lowering it evicts at once). */
  getMediaCache: none,
  /** Removes every downloaded file that is not in use (they download again when opened); an unsent message's files stay. */
  clearMediaCache: none,

  // Friends and profiles
  listFriends: none,
  listFriendRequests: none,
  findUser: z.object({ username }).strict(),
  sendFriendRequest: z.object({ userId: id.optional(), username: username.optional(), message: z.string().max(200).optional() }).strict(),
  acceptFriendRequest: z.object({ requestId: id }).strict(),
  declineFriendRequest: z.object({ requestId: id }).strict(),
  removeFriend: z.object({ userId: id }).strict(),
  blockUser: z.object({ userId: id }).strict(),
  unblockUser: z.object({ userId: id }).strict(),
  getProfiles: z.object({ userIds: z.array(id).min(1).max(500) }).strict(),
  updateProfile: z
    .object({ nickname: z.string().min(1).max(64).optional(), avatar: z.string().max(512).optional(), signature: z.string().max(200).optional() })
    .strict(),

  // Groups
  listGroups: none,
  getGroup: z.object({ groupId: id }).strict(),
  createGroup: z.object({ name: z.string().min(1).max(64), memberIds: z.array(id).max(499) }).strict(),
  renameGroup: z.object({ groupId: id, name: z.string().min(1).max(64) }).strict(),
  inviteToGroup: z.object({ groupId: id, userIds: z.array(id).min(1).max(499) }).strict(),
  removeFromGroup: z.object({ groupId: id, userIds: z.array(id).min(1).max(499) }).strict(),
  leaveGroup: z.object({ groupId: id }).strict(),
  dissolveGroup: z.object({ groupId: id }).strict(),
  setGroupRole: z.object({ groupId: id, userId: id, role: z.enum(groupRoles) }).strict(),
  listGroupMembers: z.object({ groupId: id }).strict(),
  groupReads: z.object({ groupId: id }).strict(),

  // Devices and account privacy (online only: the server holds them)
  /** The account's signed-in devices, this one first. */
  listDevices: none,
  /** Signs another device out: its session ends at once and it needs the password again. */
  signOutDevice: z.object({ deviceId: z.string().min(1).max(128) }).strict(),
  /** Signs out every device but this one; resolves with how many were signed out. */
  signOutOtherDevices: none,
  getPrivacy: none,
  setPrivacy: z.object({ lastSeen: z.enum(lastSeenSettings) }).strict(),

  // Settings, app, updates (the last three are served by the shell, not the core)
  getSettings: none,
  updateSettings: z
    .object({
      language: settingsChoices.language.optional(),
      theme: settingsChoices.theme.optional(),
      notifications: settingsChoices.notifications.partial().strict().optional(),
      media: settingsChoices.media.partial().strict().optional(),
      closeToTray: settingsChoices.closeToTray.optional(),
      startHidden: settingsChoices.startHidden.optional(),
      startAtLogin: settingsChoices.startAtLogin.optional(),
      spellcheck: settingsChoices.spellcheck.optional(),
      proxy: settingsChoices.proxy.optional(),
      updateChannel: settingsChoices.updateChannel.optional(),
      servers: z.array(endpoint).min(1).max(16).optional(),
    })
    .strict(),
  getAppInfo: none,
  // Files on disk, served by the desktop shell (it owns dialogs and the file manager); the web shell answers UNSUPPORTED.
  saveAttachmentAs: z.object({ ...attachmentRef }).strict(),
  openAttachment: z.object({ ...attachmentRef }).strict(),
  showAttachmentInFolder: z.object({ ...attachmentRef }).strict(),
  getUpdateStatus: none,
  checkForUpdates: none,
  installUpdate: none,
  /** Skip this version (it is not downloaded or installed), or `null` to take it after all. */
  skipUpdate: z.object({ version: z.string().regex(/^[0-9A-Za-z.+-]{1,64}$/).nullable() }).strict(),
  /** Desktop app: save a debug log (no message text, no keys) where the user chooses; null if they cancel. */
  exportDebugLog: none,
} as const;

export type MethodName = keyof typeof methodSchemas;
export type MethodArgs<M extends MethodName> = z.input<(typeof methodSchemas)[M]>;

/** What each method resolves to. */
export interface MethodResults {
  register: Session;
  login: Session;
  logout: void;
  listAccounts: AccountSummary[];
  removeAccount: void;
  getSession: Session | null;
  getConnectionStatus: ConnectionStatus;
  reconnect: void;
  listConversations: Page<ConversationView>;
  getConversation: ConversationView | null;
  loadMessages: MessagePage;
  /** The new message's id; the message itself (and every later state) arrives through `messagesChanged`, once. */
  sendMessage: { id: string };
  /** The new state arrives through `messagesChanged`. */
  resendMessage: void;
  deleteMessage: void;
  recallMessage: void;
  editMessage: void;
  reactToMessage: void;
  forwardMessages: { ids: string[] };
  markRead: void;
  setDraft: void;
  setPinned: void;
  setMuted: void;
  markUnread: void;
  deleteConversation: void;
  setLastConversation: void;
  getLastConversation: ConversationKey | null;
  sendTyping: void;
  searchMessages: MessageSearchHit[];
  getAttachmentLimits: AttachmentLimits;
  beginAttachment: { stagingId: string };
  appendAttachment: void;
  finishAttachment: StagedAttachment;
  setAttachmentThumbnail: StagedAttachment;
  discardAttachment: void;
  downloadAttachment: void;
  cancelTransfer: void;
  listTransfers: TransferProgress[];
  readAttachment: AttachmentBytes;
  listMedia: Page<MediaItem>;
  getMediaCache: MediaCacheUsage;
  clearMediaCache: { freedBytes: number };
  listFriends: Contact[];
  listFriendRequests: FriendRequestView[];
  findUser: Profile | null;
  sendFriendRequest: FriendRequestView;
  acceptFriendRequest: void;
  declineFriendRequest: void;
  removeFriend: void;
  blockUser: void;
  unblockUser: void;
  getProfiles: Profile[];
  updateProfile: Profile;
  listGroups: GroupView[];
  getGroup: GroupView | null;
  createGroup: GroupView;
  renameGroup: GroupView;
  inviteToGroup: void;
  removeFromGroup: void;
  leaveGroup: void;
  dissolveGroup: void;
  setGroupRole: void;
  listGroupMembers: GroupMemberView[];
  /** How far each other member has read (asked from the server each time; OFFLINE when not connected). */
  groupReads: MemberRead[];
  listDevices: DeviceView[];
  signOutDevice: void;
  signOutOtherDevices: { signedOut: number };
  getPrivacy: PrivacySettings;
  setPrivacy: PrivacySettings;
  getSettings: Settings;
  updateSettings: Settings;
  getAppInfo: AppInfo;
  /** `path` is where it was saved; absent when the user cancelled the dialog. */
  saveAttachmentAs: { path?: string };
  openAttachment: void;
  showAttachmentInFolder: void;
  getUpdateStatus: UpdateStatus;
  checkForUpdates: UpdateStatus;
  installUpdate: void;
  skipUpdate: UpdateStatus;
  exportDebugLog: { path: string } | null;
}

/** Methods served by the shell (Electron main or web host), not by the client core. */
export const shellMethods = [
  'getAppInfo',
  'getUpdateStatus',
  'checkForUpdates',
  'installUpdate',
  'skipUpdate',
  'exportDebugLog',
  'saveAttachmentAs',
  'openAttachment',
  'showAttachmentInFolder',
] as const satisfies readonly MethodName[];
export type ShellMethodName = (typeof shellMethods)[number];

const shellMethodSet: ReadonlySet<string> = new Set(shellMethods);

/** Served by the shell itself (its updater, its app info), not by the core. */
export function isShellMethod(method: string): method is ShellMethodName {
  return shellMethodSet.has(method);
}
export type CoreMethodName = Exclude<MethodName, ShellMethodName>;

export const methodNames = Object.keys(methodSchemas) as MethodName[];

// Compile-time check that every method has a result type and vice versa.
type _Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _methodsMatchResults: _Same<MethodName, keyof MethodResults> = true;
void _methodsMatchResults;
