/** File names from messages are untrusted: the server's check and the clients' sanitiser. */
import { describe, expect, it } from 'vitest';
import { MAX_FILE_NAME_LENGTH, checkFileName, extensionOf, sanitizeFileName } from '../../shared/attachments/names';

describe('checkFileName (what the server accepts)', () => {
  it('accepts ordinary names, Chinese and emoji included', () => {
    for (const name of ['report.pdf', '季度报告 2026.xlsx', 'photo 📷.jpg', '.bashrc', 'a'.repeat(MAX_FILE_NAME_LENGTH)]) expect(checkFileName(name), name).toBeUndefined();
  });

  it('refuses paths, control characters, bidi overrides, empty and overlong names', () => {
    for (const name of ['../../x', '..', '.', 'a/b', 'a\\b', 'nul\u0000byte', 'line\nbreak', 'bell\u0007', 'c1\u0085', 'invoice\u202Efdp.exe', 'iso\u2066late', '', ' padded ', 'a'.repeat(MAX_FILE_NAME_LENGTH + 1)]) {
      expect(checkFileName(name), JSON.stringify(name)).toBeTypeOf('string');
    }
  });
});

describe('sanitizeFileName (what clients send and write to disk)', () => {
  it('makes every hostile name safe, and the result passes the server check', () => {
    const hostile = ['../../x', '..', '/etc/passwd', 'C:\\Windows\\system32', 'a\u0000b', 'tab\there', 'invoice\u202Efdp.exe', '   ', 'CON', 'aux.txt', 'what?<>|*".txt', 'x'.repeat(300) + '.pdf'];
    for (const raw of hostile) {
      const safe = sanitizeFileName(raw);
      expect(checkFileName(safe), `${JSON.stringify(raw)} -> ${JSON.stringify(safe)}`).toBeUndefined();
      expect(safe).not.toMatch(/[/\\\u0000-\u001f\u202e]/);
    }
    expect(sanitizeFileName('../../x')).toBe('.._.._x');
    expect(sanitizeFileName('..')).toBe('file');
    expect(sanitizeFileName('invoice\u202Efdp.exe')).toBe('invoice_fdp.exe');
    expect(sanitizeFileName('CON')).toBe('_CON');
  });

  it('shortens a 300-character name in its stem and keeps the extension', () => {
    const safe = sanitizeFileName('长'.repeat(300) + '.pdf');
    expect(Array.from(safe)).toHaveLength(MAX_FILE_NAME_LENGTH);
    expect(safe.endsWith('.pdf')).toBe(true);
  });

  it('extensionOf', () => {
    expect(extensionOf('a.JPG')).toBe('jpg');
    expect(extensionOf('.bashrc')).toBe('');
    expect(extensionOf('noext')).toBe('');
    expect(extensionOf('a.tar.gz')).toBe('gz');
  });
});
