/**
 * Text length as the protocol counts it: in characters (Unicode code points),
 * so a CJK character or an emoji counts once, unlike `String.length` (UTF-16
 * units, two for an emoji). PROTOCOL.md §11.
 */
export function charCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Characters in one message: the server's default limit (its `maxTextLength`; PROTOCOL.md §11). */
export const MAX_MESSAGE_LENGTH = 8000;

/** A draft may be longer than a message can be (the composer says by how much); it never leaves the device. */
export const MAX_DRAFT_LENGTH = 10 * MAX_MESSAGE_LENGTH;
