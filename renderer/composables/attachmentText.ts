/** One line for a message's files: "[Photo]", "[3 photos]", "[File] name", "[2 files] name" (conversation list, search). */
import type { AttachmentSummary } from '../../shared/ipc';

type Translate = (key: string, values?: Record<string, unknown>) => string;

export function attachmentLabel(t: Translate, s: AttachmentSummary): string {
  if (s.kind === 'image') return s.count > 1 ? t('attachments.photos', { n: s.count }) : t('attachments.photo');
  return s.count > 1 ? t('attachments.files', { n: s.count, name: s.name }) : t('attachments.file', { name: s.name });
}

/** The label, then the caption if there is one. */
export function withCaption(label: string, caption: string): string {
  return caption ? `${label} ${caption}` : label;
}
