import type { AttachmentKind, AttachmentSummary } from '../ipc/types';

/** One line's worth of a message's files: what the UI and notifications word as "[Photo]", "[File] name". */
export function summarize(list: readonly { kind: AttachmentKind; name: string }[]): AttachmentSummary | undefined {
  const first = list[0];
  if (!first) return undefined;
  // A message with any other file is a file message: that file is named.
  const file = list.find((a) => a.kind === 'file');
  return { kind: file ? 'file' : 'image', name: (file ?? first).name, count: list.length };
}
