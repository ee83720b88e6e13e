import { describe, expect, it } from 'vitest';
import { parseRichText } from '../../renderer/composables/richText';

describe('parseRichText', () => {
  it('plain text stays one text node, whatever it contains', () => {
    for (const text of ['hello', '你好，世界', '<script>alert(1)</script>', '2 * 3 * 4', 'snake_case_name', 'a * b', '**', '``', 'x**y']) {
      expect(parseRichText(text), text).toEqual([{ kind: 'text', text }]);
    }
  });

  it('bold, italic (both markers), nested, and unpaired markers', () => {
    expect(parseRichText('a **bold** b')).toEqual([{ kind: 'text', text: 'a ' }, { kind: 'bold', children: [{ kind: 'text', text: 'bold' }] }, { kind: 'text', text: ' b' }]);
    expect(parseRichText('*it* and _it_')).toEqual([
      { kind: 'italic', children: [{ kind: 'text', text: 'it' }] },
      { kind: 'text', text: ' and ' },
      { kind: 'italic', children: [{ kind: 'text', text: 'it' }] },
    ]);
    expect(parseRichText('**very _much_**')).toEqual([{ kind: 'bold', children: [{ kind: 'text', text: 'very ' }, { kind: 'italic', children: [{ kind: 'text', text: 'much' }] }] }]);
    expect(parseRichText('**open')).toEqual([{ kind: 'text', text: '**open' }]);
    expect(parseRichText('** spaced **')).toEqual([{ kind: 'text', text: '** spaced **' }]);
    expect(parseRichText('中文**粗体**')).toEqual([{ kind: 'text', text: '中文' }, { kind: 'bold', children: [{ kind: 'text', text: '粗体' }] }]);
  });

  it('inline code and code blocks keep their content verbatim', () => {
    expect(parseRichText('run `npm **test**` now')).toEqual([{ kind: 'text', text: 'run ' }, { kind: 'code', text: 'npm **test**' }, { kind: 'text', text: ' now' }]);
    expect(parseRichText('see:\n```ts\nconst a = `x`;\n**no**\n```\ndone')).toEqual([
      { kind: 'text', text: 'see:\n' },
      { kind: 'codeblock', text: 'const a = `x`;\n**no**' },
      { kind: 'text', text: '\ndone' },
    ]);
    expect(parseRichText('``` ```')).toEqual([{ kind: 'text', text: '``` ```' }]);
  });

  it('web links only, with fuzzy domains made absolute; other schemes stay text', () => {
    expect(parseRichText('go to https://example.com/a?b=1 now')).toEqual([
      { kind: 'text', text: 'go to ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ' now' },
    ]);
    expect(parseRichText('example.org')).toEqual([{ kind: 'link', text: 'example.org', href: 'http://example.org' }]);
    expect(parseRichText('访问 https://例子.测试 吧')[1]).toMatchObject({ kind: 'link' });
    for (const text of ['javascript:alert(1)', 'mailto:a@b.com', 'a@b.com', 'file:///etc/passwd', 'ftp://x.org/']) {
      expect(parseRichText(text).some((n) => n.kind === 'link'), text).toBe(false);
    }
    expect(parseRichText('**https://example.com**')).toEqual([{ kind: 'bold', children: [{ kind: 'link', text: 'https://example.com', href: 'https://example.com' }] }]);
  });

  it('mentions of the named users only, longest name first, not inside words', () => {
    const names = [{ userId: 2, name: 'Ann' }, { userId: 3, name: 'Ann Lee' }, { userId: 0, name: 'Everyone' }];
    expect(parseRichText('@Ann Lee and @Ann, @Everyone', names)).toEqual([
      { kind: 'mention', text: '@Ann Lee', userId: 3 },
      { kind: 'text', text: ' and ' },
      { kind: 'mention', text: '@Ann', userId: 2 },
      { kind: 'text', text: ', ' },
      { kind: 'mention', text: '@Everyone', userId: 0 },
    ]);
    expect(parseRichText('mail ann@Ann.com @Bob', names)).toEqual([{ kind: 'text', text: 'mail ann@Ann.com @Bob' }]);
    expect(parseRichText('你好@Ann', names)).toEqual([{ kind: 'text', text: '你好@Ann' }]);
  });
});
