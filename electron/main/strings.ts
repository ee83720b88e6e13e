/**
 * The few texts the main process shows itself (notifications, tray, menu),
 * in English and Simplified Chinese. The renderer has its own i18n.
 */
import type { GroupActionKind, LanguageSetting } from '../../shared/ipc';

export type Lang = 'en' | 'zh-CN';

export interface MainStrings {
  newMessage: string;
  newMessages(n: number): string;
  newMessageFrom(name: string): string;
  groupLine(sender: string, text: string): string;
  groupTitle(sender: string, group: string): string;
  moreMessages(n: number): string;
  unreadTooltip(n: number): string;
  mutedUnreadTooltip: string;
  show: string;
  quit: string;
  checkForUpdates: string;
  restartToUpdate: string;
  newConversationCount(n: number): string;
  cryptoUnavailableTitle: string;
  /** `missing`: primitive names such as 'AES-256-GCM' (technical terms, not translated). */
  cryptoUnavailable(missing: string[]): string;
  cut: string;
  copy: string;
  paste: string;
  selectAll: string;
  copyLink: string;
  noSuggestions: string;
  addToDictionary: string;
  help: string;
  exportDebugLog: string;
  /** A group service message in a notification, after the actor's name ("Alice: added members"). */
  groupAction: Record<GroupActionKind, string>;
  /** A message's files in a notification line: "[Photo]", "[3 photos]", "[File] name", "[2 files] name". */
  photo: string;
  photos(n: number): string;
  file(name: string): string;
  files(n: number, name: string): string;
  /** The keychain will not give back the key of the local data (electron/main/data-key.ts). */
  dataKeyTitle: string;
  dataKeyUnavailable: string;
  dataKeyRefused: string;
  dataKeyDetail: string;
  dataKeyStartOver: string;
}

const en: MainStrings = {
  newMessage: 'New message',
  newMessages: (n) => `${n} new messages`,
  newMessageFrom: (name) => `New message from ${name}`,
  groupLine: (sender, text) => `${sender}: ${text}`,
  groupTitle: (sender, group) => `${sender} in ${group}`,
  moreMessages: (n) => `and ${n} more`,
  unreadTooltip: (n) => (n === 1 ? 'Tern: 1 unread message' : `Tern: ${n} unread messages`),
  mutedUnreadTooltip: 'Tern: unread messages in muted conversations',
  show: 'Show Tern',
  quit: 'Quit Tern',
  checkForUpdates: 'Check for Updates…',
  restartToUpdate: 'Restart to Update',
  newConversationCount: (n) => `${n} conversations`,
  cryptoUnavailableTitle: 'Tern cannot start',
  cryptoUnavailable: (missing) =>
    `This copy of Tern cannot encrypt its connection: the runtime lacks ${missing.join(', ')}. Nothing was sent. Please reinstall Tern, or report this message to its developers.`,
  cut: 'Cut',
  copy: 'Copy',
  paste: 'Paste',
  selectAll: 'Select All',
  copyLink: 'Copy Link Address',
  noSuggestions: 'No Spelling Suggestions',
  addToDictionary: 'Add to Dictionary',
  help: 'Help',
  exportDebugLog: 'Export Debug Log…',
  groupAction: {
    created: 'created the group', membersAdded: 'added members', membersRemoved: 'removed members',
    left: 'left the group', renamed: 'renamed the group', dissolved: 'dissolved the group',
  },
  photo: '[Photo]',
  photos: (n) => `[${n} photos]`,
  file: (name) => `[File] ${name}`,
  files: (n, name) => `[${n} files] ${name}`,
  dataKeyTitle: 'Tern cannot unlock its local data',
  dataKeyUnavailable: 'The system keychain is not available, and it holds the key of Tern’s local data.',
  dataKeyRefused: 'The system keychain did not give Tern the key of its local data (it may have been reset, or access was refused).',
  dataKeyDetail:
    'Quit and try again once the keychain is available (for example after signing in to your desktop session), and nothing is lost. Or start over: the local data is set aside (not deleted), your chats are loaded again from the server, you sign in with your password, and messages not yet sent from this device cannot be recovered.',
  dataKeyStartOver: 'Start Over',
};

const zh: MainStrings = {
  newMessage: '新消息',
  newMessages: (n) => `${n} 条新消息`,
  newMessageFrom: (name) => `${name} 发来一条新消息`,
  groupLine: (sender, text) => `${sender}：${text}`,
  groupTitle: (sender, group) => `${sender}（${group}）`,
  moreMessages: (n) => `还有 ${n} 条`,
  unreadTooltip: (n) => `Tern：${n} 条未读消息`,
  mutedUnreadTooltip: 'Tern：免打扰会话中有未读消息',
  show: '显示 Tern',
  quit: '退出 Tern',
  checkForUpdates: '检查更新…',
  restartToUpdate: '重启以更新',
  newConversationCount: (n) => `${n} 个会话`,
  cryptoUnavailableTitle: 'Tern 无法启动',
  cryptoUnavailable: (missing) => `此 Tern 无法加密连接：运行环境缺少 ${missing.join('、')}。未发送任何数据。请重新安装 Tern，或将此消息报告给开发者。`,
  cut: '剪切',
  copy: '复制',
  paste: '粘贴',
  selectAll: '全选',
  copyLink: '复制链接地址',
  noSuggestions: '无拼写建议',
  addToDictionary: '添加到词典',
  help: '帮助',
  exportDebugLog: '导出调试日志…',
  groupAction: {
    created: '创建了群聊', membersAdded: '邀请了新成员', membersRemoved: '移出了成员',
    left: '退出了群聊', renamed: '修改了群名', dissolved: '解散了群聊',
  },
  photo: '[图片]',
  photos: (n) => `[${n} 张图片]`,
  file: (name) => `[文件] ${name}`,
  files: (n, name) => `[${n} 个文件] ${name}`,
  dataKeyTitle: 'Tern 无法解锁本地数据',
  dataKeyUnavailable: '系统钥匙串当前不可用，而 Tern 本地数据的密钥保存在其中。',
  dataKeyRefused: '系统钥匙串没有向 Tern 提供本地数据的密钥（钥匙串可能已被重置，或访问被拒绝）。',
  dataKeyDetail:
    '退出并在钥匙串可用后重试（例如登录桌面会话之后），不会丢失任何数据。或者重新开始：本地数据将被移到一旁（不会删除），聊天记录从服务器重新加载，需要用密码重新登录，此设备上尚未发出的消息将无法恢复。',
  dataKeyStartOver: '重新开始',
};

/** `system` follows the OS locale (app.getLocale()): any zh* picks Chinese. */
export function resolveLang(setting: LanguageSetting, systemLocale: string): Lang {
  if (setting === 'en' || setting === 'zh-CN') return setting;
  return systemLocale.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export function stringsFor(lang: Lang): MainStrings {
  return lang === 'zh-CN' ? zh : en;
}
