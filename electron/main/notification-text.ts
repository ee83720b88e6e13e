/**
 * What a notification says, at each privacy level:
 *   off     no notification at all
 *   count   "Tern" / "3 new messages"           (not who, not where)
 *   sender  conversation title / "New message from Alice" or "3 new messages"
 *   full    conversation title / the text ("Alice: text" in groups), last 3 lines
 */
import type { ConversationView, MessageView, NotificationPrivacy } from '../../shared/ipc';
import { assertNever } from '../../shared/util/assert';
import { summarize } from '../../shared/attachments/summary';
import type { MainStrings } from './strings';

export interface NotificationText {
  title: string;
  body: string;
}

/** Longest body line: notifications are a glance, not a reader. */
const maxLine = 160;
const maxLines = 3;

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > maxLine ? `${oneLine.slice(0, maxLine - 1)}…` : oneLine;
}

export interface BatchForText {
  conversation: Pick<ConversationView, 'type' | 'title' | 'unread'>;
  /** The new messages of this conversation in this batch, oldest first. */
  messages: Pick<MessageView, 'senderId' | 'text' | 'groupAction' | 'attachments'>[];
  senderName(userId: number): string;
}

/** A message in one line: its text, or with files "[Photo] caption" / "[File] name". */
function messageLine(strings: MainStrings, m: Pick<MessageView, 'text' | 'attachments'>): string {
  const s = summarize(m.attachments ?? []);
  if (!s) return m.text;
  const label = s.kind === 'image' ? (s.count > 1 ? strings.photos(s.count) : strings.photo) : s.count > 1 ? strings.files(s.count, s.name) : strings.file(s.name);
  return m.text ? `${label} ${m.text}` : label;
}

export function notificationText(privacy: NotificationPrivacy, strings: MainStrings, appName: string, batch: BatchForText): NotificationText | null {
  const { conversation, messages } = batch;
  if (messages.length === 0) return null;
  // The unread count covers messages that arrived before this batch and are still unread.
  const count = Math.max(messages.length, conversation.unread);
  const isGroup = conversation.type === 'group';
  switch (privacy) {
    case 'off':
      return null;
    case 'count':
      return { title: appName, body: count === 1 ? strings.newMessage : strings.newMessages(count) };
    case 'sender': {
      if (count > 1) return { title: conversation.title, body: strings.newMessages(count) };
      const last = messages[messages.length - 1]!;
      return {
        title: conversation.title,
        body: isGroup ? strings.newMessageFrom(batch.senderName(last.senderId)) : strings.newMessage,
      };
    }
    case 'full': {
      const shown = messages.slice(-maxLines);
      const text = (m: BatchForText['messages'][number]) => (m.groupAction ? strings.groupAction[m.groupAction.kind] : clip(messageLine(strings, m)));
      const lines = shown.map((m) => (isGroup ? strings.groupLine(batch.senderName(m.senderId), text(m)) : text(m)));
      const hidden = count - shown.length;
      if (hidden > 0) lines.push(strings.moreMessages(hidden));
      return { title: conversation.title, body: lines.join('\n') };
    }
    default:
      return assertNever(privacy, 'notification privacy');
  }
}
