/**
 * The page a browser gets when the web shell refuses to open (403): instead
 * of a bare "forbidden", what to do, in English and Chinese (the language the
 * browser prefers first). It never contains the secret; it names only the
 * address the shell serves. Its CSP allows nothing but its own inline style.
 */
import { createHash } from 'node:crypto';
import type { AccessDecision } from './access';

export type RefusalReason = Extract<AccessDecision, { ok: false }>['reason'];

interface PageText {
  title: string;
  reasons: Record<RefusalReason, string[]>;
  example: string;
}

/** `ORIGIN` in the texts is replaced by the address the shell serves. */
export const accessPageTexts: Record<'en' | 'zh-CN', PageText> = {
  en: {
    title: 'Open Tern with the link from the terminal',
    reasons: {
      secret: [
        'This address needs the secret key that is printed with it. In the terminal where you ran npm start (or npm run demo), copy the whole link and open it here. It looks like this:',
        'The key changes every time Tern starts, so a link from an earlier start no longer works.',
      ],
      host: ['Open the address exactly as it was printed, with 127.0.0.1 (not localhost or another name), including the key. It looks like this:'],
      origin: ['This request came from another web site, and was refused. Open the link printed in the terminal instead. It looks like this:'],
    },
    example: 'ORIGIN/?k=…',
  },
  'zh-CN': {
    title: '请用终端里打印的链接打开 Tern',
    reasons: {
      secret: [
        '这个地址需要与它一起打印出来的密钥。请在运行 npm start（或 npm run demo）的终端里复制完整的链接，然后在这里打开。链接的样子是：',
        '每次启动 Tern 密钥都会改变，之前启动时的链接已经不能再用。',
      ],
      host: ['请按打印出来的原样打开地址：用 127.0.0.1（不要用 localhost 或其他名字），并带上密钥。链接的样子是：'],
      origin: ['这个请求来自其他网站，已被拒绝。请改用终端里打印的链接。链接的样子是：'],
    },
    example: 'ORIGIN/?k=…',
  },
};

const style = `
:root { color-scheme: light dark; font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
main { max-width: 38rem; padding: 2rem; }
section + section { margin-top: 2rem; padding-top: 1.5rem; border-top: 1px solid color-mix(in srgb, CanvasText 20%, transparent); }
h1 { font-size: 1.35rem; margin: 0 0 0.75rem; }
p { line-height: 1.55; margin: 0.5rem 0; }
code { display: inline-block; padding: 0.3rem 0.6rem; border-radius: 0.4rem; background: color-mix(in srgb, CanvasText 8%, transparent); font-size: 1rem; }
`.trim();

/** The Content-Security-Policy of the page: its inline style by hash, nothing else. */
export const accessPageCsp = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Chinese first when the browser's first language is Chinese. */
export function preferredFirst(acceptLanguage: string | undefined): Array<'en' | 'zh-CN'> {
  return /^\s*zh\b/i.test(acceptLanguage ?? '') ? ['zh-CN', 'en'] : ['en', 'zh-CN'];
}

export function accessPage(reason: RefusalReason, origin: string, acceptLanguage: string | undefined): string {
  const order = preferredFirst(acceptLanguage);
  const sections = order.map((lang) => {
    const t = accessPageTexts[lang];
    const [lead, ...rest] = t.reasons[reason];
    return [
      `<section lang="${lang}">`,
      `<h1>${escape(t.title)}</h1>`,
      `<p>${escape(lead!)}</p>`,
      `<p><code>${escape(t.example.replace('ORIGIN', origin))}</code></p>`,
      ...rest.map((line) => `<p>${escape(line)}</p>`),
      '</section>',
    ].join('\n');
  });
  return [
    '<!doctype html>',
    `<html lang="${order[0]}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escape(accessPageTexts[order[0]!].title)}</title>`,
    `<style>${style}</style></head>`,
    `<body><main>\n${sections.join('\n')}\n</main></body></html>`,
  ].join('\n');
}
