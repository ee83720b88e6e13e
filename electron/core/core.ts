/**
 * The MessengerCore: the shared/ipc contract, served by one group of methods
 * per domain (./methods) over the current account session. This file is the
 * table of contents: which domain answers which method, and what the core
 * owns (and disposes). Arguments arrive already validated (the shells parse
 * them with `methodSchemas`); failures reject with a CoreError whose `code`
 * is an ErrorCode of the contract.
 */
import type { CoreMethods, HostMethods, MessengerCore, MessengerEvents, ServerEndpoint } from '../../shared/ipc';
import { DisposableStore } from '../../shared/util/disposable';
import { Emitter } from '../../shared/util/emitter';
import { AccountStore } from './account-store';
import { cacheKey, SecretSealer, type DataKey } from './data-key';
import type { OpenCache } from './cache/api';
import type { Clock } from './clock';
import { toErrorInfo } from './errors';
import type { Connector } from './link';
import type { Logger } from './log';
import { AccountMethods } from './methods/accounts';
import { AttachmentMethods } from './methods/attachments';
import { ContactMethods } from './methods/contacts';
import { GroupMethods } from './methods/groups';
import { MessageActionMethods } from './methods/message-actions';
import { MessagingMethods } from './methods/messaging';
import { SessionSlot } from './methods/session-slot';
import { DeviceMethods } from './methods/devices';
import { SettingsMethods } from './methods/settings';
import { proxyConfig } from './proxy-settings';
import { SettingsStore } from './settings-store';
import type { Timings } from './timings';

export interface CoreDeps {
  dataDir: string;
  defaultServers: ServerEndpoint[];
  clock: Clock;
  timings: Timings;
  connector: Connector;
  openCache: OpenCache;
  /** Encrypts the caches and seals the device tokens (./data-key.ts). */
  dataKey: DataKey;
  log: Logger;
  deviceName: string;
  clientName: string;
  random?: () => number;
}

export type ClientCore = MessengerCore & {
  /** Call on system resume or network change: a dead connection is found in seconds, or a retry starts now. */
  probe(): void;
};

export function createMessengerCore(deps: CoreDeps): ClientCore {
  const store = new DisposableStore();
  const events = new Emitter<MessengerEvents>({
    // A listener's bug (a shell's, a test's) is reported, and never breaks the core's own work.
    onListenerError: (error, event) => deps.log.error({ event: String(event), err: toErrorInfo(error) }, 'event listener threw'),
  });
  store.addCallback(() => events.clear());
  const sealer = new SecretSealer(deps.dataKey.key);
  const accounts = new AccountStore(deps.dataDir, sealer);
  if (accounts.lostTokens.length > 0) deps.log.warn({ accounts: accounts.lostTokens.length }, 'device tokens sealed under another data key: those accounts sign in with their password');
  // The key changed if the shell says so, or if tokens sealed under the old one no longer open (a deleted key file).
  const keyReplaced = deps.dataKey.replaced || accounts.lostTokens.length > 0;
  // Each account's cache is encrypted with its own key from the data key.
  const openCache: OpenCache = (options) => deps.openCache({ ...options, key: cacheKey(deps.dataKey.key, options.userId), keyReplaced });
  const settings = new SettingsStore(deps.dataDir, deps.defaultServers, sealer);
  const sessions = store.add(new SessionSlot());
  // Every connection attempt goes through the proxy the settings name at that moment.
  const connector: Connector = (endpoint, options) => {
    const proxy = proxyConfig(settings.get().proxy);
    return deps.connector(endpoint, proxy ? { ...options, proxy } : options);
  };

  const account = new AccountMethods({
    sessions,
    accounts,
    settings,
    events,
    session: {
      dataDir: deps.dataDir,
      clock: deps.clock,
      timings: deps.timings,
      connector,
      openCache,
      log: deps.log,
      accounts,
      events,
      deviceName: deps.deviceName,
      clientName: deps.clientName,
      media: () => settings.get().media,
      proxy: () => proxyConfig(settings.get().proxy),
      ...(deps.random ? { random: deps.random } : {}),
    },
  });
  const messaging = new MessagingMethods(sessions, events, () => deps.clock.now());
  const actions = new MessageActionMethods(sessions, events, () => deps.clock.now());
  const contacts = new ContactMethods(sessions, events, deps.clock);
  const groups = new GroupMethods(sessions, events);
  const settingsMethods = new SettingsMethods(settings, accounts, sessions, events);
  const attachments = new AttachmentMethods(sessions);
  const devices = new DeviceMethods(sessions, events);

  const methods: CoreMethods = {
    // Accounts and session
    register: account.register,
    login: account.login,
    logout: account.logout,
    listAccounts: account.listAccounts,
    removeAccount: account.removeAccount,
    getSession: account.getSession,
    getConnectionStatus: account.getConnectionStatus,
    reconnect: account.reconnect,
    // Conversations and messages
    listConversations: messaging.listConversations,
    getConversation: messaging.getConversation,
    loadMessages: messaging.loadMessages,
    sendMessage: messaging.sendMessage,
    resendMessage: messaging.resendMessage,
    deleteMessage: actions.deleteMessage,
    editMessage: actions.editMessage,
    reactToMessage: actions.reactToMessage,
    forwardMessages: actions.forwardMessages,
    recallMessage: messaging.recallMessage,
    markRead: messaging.markRead,
    setDraft: messaging.setDraft,
    setPinned: messaging.setPinned,
    setMuted: messaging.setMuted,
    markUnread: messaging.markUnread,
    deleteConversation: messaging.deleteConversation,
    setLastConversation: messaging.setLastConversation,
    getLastConversation: messaging.getLastConversation,
    sendTyping: messaging.sendTyping,
    searchMessages: messaging.searchMessages,
    // Attachments
    getAttachmentLimits: attachments.getAttachmentLimits,
    beginAttachment: attachments.beginAttachment,
    appendAttachment: attachments.appendAttachment,
    finishAttachment: attachments.finishAttachment,
    setAttachmentThumbnail: attachments.setAttachmentThumbnail,
    discardAttachment: attachments.discardAttachment,
    downloadAttachment: attachments.downloadAttachment,
    cancelTransfer: attachments.cancelTransfer,
    listTransfers: attachments.listTransfers,
    readAttachment: attachments.readAttachment,
    listMedia: attachments.listMedia,
    getMediaCache: attachments.getMediaCache,
    clearMediaCache: attachments.clearMediaCache,
    // Friends and profiles
    listFriends: contacts.listFriends,
    listFriendRequests: contacts.listFriendRequests,
    findUser: contacts.findUser,
    sendFriendRequest: contacts.sendFriendRequest,
    acceptFriendRequest: contacts.acceptFriendRequest,
    declineFriendRequest: contacts.declineFriendRequest,
    removeFriend: contacts.removeFriend,
    blockUser: contacts.blockUser,
    unblockUser: contacts.unblockUser,
    getProfiles: contacts.getProfiles,
    updateProfile: contacts.updateProfile,
    // Groups
    listGroups: groups.listGroups,
    getGroup: groups.getGroup,
    createGroup: groups.createGroup,
    renameGroup: groups.renameGroup,
    inviteToGroup: groups.inviteToGroup,
    removeFromGroup: groups.removeFromGroup,
    leaveGroup: groups.leaveGroup,
    dissolveGroup: groups.dissolveGroup,
    setGroupRole: groups.setGroupRole,
    listGroupMembers: groups.listGroupMembers,
    groupReads: groups.groupReads,
    // Devices and privacy
    listDevices: devices.listDevices,
    signOutDevice: devices.signOutDevice,
    signOutOtherDevices: devices.signOutOtherDevices,
    getPrivacy: devices.getPrivacy,
    setPrivacy: devices.setPrivacy,
    // Settings
    getSettings: settingsMethods.getSettings,
    updateSettings: settingsMethods.updateSettings,
  };
  // Only the shells call these (they take paths on this computer; see shared/ipc/host-methods.ts).
  const hostMethods: HostMethods = {
    stageAttachmentFile: attachments.stageAttachmentFile,
    exportAttachment: attachments.exportAttachment,
  };

  return {
    ...methods,
    ...hostMethods,
    on: (event, listener) => events.on(event, listener),
    probe: () => sessions.current?.probe(),
    dispose: async () => store.dispose(),
  };
}
