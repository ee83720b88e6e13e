/**
 * Client cache benchmark: paging and search over a 1,000,000-message cache,
 * and bulk apply of 10,000 messages in batched transactions.
 *
 *   npm run bench -- client-cache [--messages N] [--dir DIR] [--rebuild] [--iterations N] [--encrypted]
 *   npx tsx tests/bench/client-cache.ts [same options]   (direct run, prints JSON)
 *
 * --encrypted: the caches are SQLCipher-encrypted as the app keeps them
 * (electron/core/cache/encryption.ts; its own DIR, default suffixed
 * `-encrypted`); run with and without it to see what encryption at rest costs.
 *
 * The big cache is built once (batched sync apply, the real code path) into
 * DIR (default: $TMPDIR/tern-bench-client-cache) and reused by later runs.
 * Text is real: Chinese from Debian's fortunes-zh (chinese, tang300,
 * song100), English from fortunes; generated text if they are absent.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openCache, type Cache, type WireMessage, type WireSyncEvent } from '../../electron/core/cache';
import { cacheFilePath } from '../../electron/core/cache/open';
import { cacheKey } from '../../electron/core/data-key';
import type { ConversationKey } from '../../shared/ipc';
import { ConversationType, SyncDomain } from '../../shared/protocol';

const ME = 1;
const FORTUNES = '/usr/share/games/fortunes';

// ---------------------------------------------------------------- deterministic randomness

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- corpus

function readFortunes(name: string): string[] {
  const path = join(FORTUNES, name);
  if (!existsSync(path)) return [];
  return (
    readFileSync(path, 'utf8')
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split(/^%$/m)
      .flatMap((block) => block.split(/\n\s*\n/))
      .map((s) => s.replace(/\s+/g, ' ').trim())
      .filter((s) => s.length >= 2 && s.length <= 400)
  );
}

interface Corpus {
  zh: string[];
  en: string[];
  source: 'fortunes' | 'generated';
}

function loadCorpus(): Corpus {
  const zh = ['chinese', 'tang300', 'song100'].flatMap(readFortunes);
  const en = ['fortunes', 'computers', 'literature', 'people', 'science', 'wisdom', 'work', 'linux', 'humorists'].flatMap(readFortunes);
  if (zh.length > 100 && en.length > 100) return { zh, en, source: 'fortunes' };
  const r = rng(7);
  const han = '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区';
  const words = 'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(' ');
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const gzh = Array.from({ length: 5000 }, () => Array.from({ length: 4 + Math.floor(r() * 40) }, () => pick([...han])).join(''));
  const gen = Array.from({ length: 5000 }, () => Array.from({ length: 3 + Math.floor(r() * 20) }, () => pick(words)).join(' '));
  return { zh: gzh, en: gen, source: 'generated' };
}

const URLS = ['https://www.example.com/path/to/page', 'https://github.com/signalapp/Signal-Desktop', 'http://news.example.org/2024/05/story.html'];

function textFor(corpus: Corpus, r: () => number): string {
  const x = r();
  if (x < 0.5) return corpus.zh[Math.floor(r() * corpus.zh.length)]!;
  if (x < 0.97) return corpus.en[Math.floor(r() * corpus.en.length)]!;
  return `${corpus.zh[Math.floor(r() * corpus.zh.length)]!.slice(0, 20)} ${URLS[Math.floor(r() * URLS.length)]!}`;
}

// ---------------------------------------------------------------- the big cache

/** 400 conversations, sizes skewed (a few very long ones, many short ones), like a real account. */
const CONVERSATIONS = 400;

function conversationOf(i: number, r: () => number): number {
  // ~half the traffic goes to the 20 busiest conversations.
  return r() < 0.5 ? Math.floor(r() * 20) : Math.floor(r() * CONVERSATIONS);
}

function keyOf(c: number, base = 0): { key: ConversationKey; ref: { type: ConversationType; id: number } } {
  return c % 4 === 0
    ? { key: `g:${base + 1000 + c}`, ref: { type: ConversationType.GROUP, id: base + 1000 + c } }
    : { key: `u:${base + 10 + c}`, ref: { type: ConversationType.DIRECT, id: base + 10 + c } };
}

function makeEvents(corpus: Corpus, from: number, count: number, convSeqs: Map<number, number>, r: () => number, msgIdBase = 0, convBase = 0): WireSyncEvent[] {
  const events: WireSyncEvent[] = [];
  for (let i = 0; i < count; i++) {
    const n = from + i;
    const c = conversationOf(n, r);
    const { ref } = keyOf(c, convBase);
    const convSeq = (convSeqs.get(c) ?? 0) + 1;
    convSeqs.set(c, convSeq);
    const outgoing = r() < 0.3;
    const sender = outgoing ? ME : ref.type === ConversationType.GROUP ? 10 + Math.floor(r() * 300) : ref.id;
    const msgId = msgIdBase + n + 1;
    const m: WireMessage = {
      msgId,
      conversation: ref,
      convSeq,
      senderId: sender,
      clientMsgId: `bench-${msgId}`,
      sentAt: 1_600_000_000_000 + n * 1000,
      text: textFor(corpus, r),
      mentions: [],
      replyToMsgId: 0,
      recalled: false,
      editedAt: 0,
      attachments: [],
    };
    events.push({ seq: msgId, domain: SyncDomain.MESSAGES, event: { case: 'message', value: m } });
  }
  return events;
}

function ensureBigCache(dir: string, total: number, rebuild: boolean, corpus: Corpus, log: (s: string) => void, key: Uint8Array | undefined): { cache: Cache; buildMs?: number } {
  const path = cacheFilePath(dir, ME);
  if (!rebuild && existsSync(path)) {
    const { cache } = openCache({ dir, userId: ME, key });
    if ((cache.syncState.getMeta<number>('bench.built') ?? 0) >= total) return { cache };
    cache.close();
  }
  rmSync(dir, { recursive: true, force: true });
  const { cache } = openCache({ dir, userId: ME, key });
  const r = rng(42);
  const convSeqs = new Map<number, number>();
  const batch = 2000;
  const t0 = performance.now();
  for (let done = 0; done < total; done += batch) {
    cache.applySyncEvents(makeEvents(corpus, done, Math.min(batch, total - done), convSeqs, r));
    if (done % 100_000 === 0) log(`  built ${done.toLocaleString()} / ${total.toLocaleString()} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const buildMs = performance.now() - t0;
  cache.syncState.setMeta('bench.built', total);
  cache.syncState.setMeta('bench.convSeqs', [...convSeqs.entries()]);
  return { cache, buildMs };
}

// ---------------------------------------------------------------- measuring

function stats(samples: number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? 0;
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { n: s.length, p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(s[s.length - 1] ?? 0), mean: round(s.reduce((a, b) => a + b, 0) / (s.length || 1)) };
}

function time<T>(fn: () => T): [number, T] {
  const t = performance.now();
  const v = fn();
  return [performance.now() - t, v];
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

/** Random substrings of real sentences: the words a user would type. */
function sampleQueries(corpus: Corpus, r: () => number): { kind: string; query: string }[] {
  const out: { kind: string; query: string }[] = [];
  const cjkRun = /[\p{Script=Han}]{4,}/gu;
  const zhRuns = corpus.zh.flatMap((s) => s.match(cjkRun) ?? []).filter((s) => s.length >= 4);
  const enWords = corpus.en.flatMap((s) => s.split(/[^A-Za-z]+/)).filter((w) => w.length >= 4);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  for (let i = 0; i < 60; i++) {
    for (const len of [1, 2, 3, 4]) {
      const run = pick(zhRuns);
      const start = Math.floor(r() * (run.length - len + 1));
      out.push({ kind: `zh${len}`, query: run.slice(start, start + len) });
    }
    const w = pick(enWords);
    out.push({ kind: 'enWord', query: w.toLowerCase() });
    out.push({ kind: 'enPrefix', query: w.slice(0, 3).toLowerCase() });
  }
  for (const q of ['example', 'github', 'the', '的', '我们', 'the computer', '天下']) out.push({ kind: 'fixed', query: q });
  return out;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const total = Number(arg(args, 'messages') ?? 1_000_000);
  const iterations = Number(arg(args, 'iterations') ?? 2000);
  const encrypted = args.includes('--encrypted');
  // A fixed key: the bench measures the cipher's cost, not key handling.
  const key = encrypted ? cacheKey(new Uint8Array(32).fill(7), ME) : undefined;
  const dir = arg(args, 'dir') ?? join(tmpdir(), `tern-bench-client-cache${encrypted ? '-encrypted' : ''}`);
  const log = (s: string): void => console.log(s);
  const corpus = loadCorpus();
  log(`client-cache: ${total.toLocaleString()} messages, ${encrypted ? 'encrypted' : 'plain SQLite'}, corpus ${corpus.source} (${corpus.zh.length} zh, ${corpus.en.length} en)`);

  const built = ensureBigCache(dir, total, args.includes('--rebuild'), corpus, log, key);
  let cache = built.cache;
  cache.close();
  // Reopen: measures open + quick_check + migrations on the big file.
  const [openMs, reopened] = time(() => openCache({ dir, userId: ME, key }));
  cache = reopened.cache;
  const fileBytes = statSync(cacheFilePath(dir, ME)).size;

  const r = rng(99);
  const convSeqs = new Map<number, number>(cache.syncState.getMeta<[number, number][]>('bench.convSeqs') ?? []);
  const convs = [...convSeqs.keys()];

  // Pages: latest, before/after/around a random anchor (found through its server id).
  const pageTimes: Record<string, number[]> = { latest: [], before: [], after: [], around: [] };
  const kinds = ['latest', 'before', 'after', 'around'] as const;
  for (let i = 0; i < iterations; i++) {
    const c = convs[Math.floor(r() * convs.length)]!;
    const { key } = keyOf(c);
    const kind = kinds[i % kinds.length]!;
    if (kind === 'latest') {
      const [ms, page] = time(() => cache.messages.page(key, { limit: 50 }));
      if (page.messages.length === 0) throw new Error('empty page');
      pageTimes.latest!.push(ms);
    } else {
      // A random message anywhere in the history (local ids are the client ids `bench-<msgId>`).
      const anchor = cache.messages.get(`bench-${1 + Math.floor(r() * total)}`);
      if (!anchor) throw new Error('anchor not found');
      const [ms, page] = time(() => cache.messages.page(anchor.conversationKey, { limit: 50, anchor: { messageId: anchor.id, direction: kind } }));
      if (kind === 'around' && !page.messages.some((m) => m.id === anchor.id)) throw new Error('anchor missing from its page');
      pageTimes[kind]!.push(ms);
    }
  }
  const pages = Object.fromEntries(Object.entries(pageTimes).map(([k, v]) => [k, stats(v)]));
  const allPages = stats(Object.values(pageTimes).flat());
  log(`page of 50: p50 ${allPages.p50} ms, p99 ${allPages.p99} ms, max ${allPages.max} ms (n=${allPages.n})`);

  // Search, as left by the bulk sync, then after index maintenance (what the app does when idle).
  const queries = sampleQueries(corpus, r);
  const measureSearch = (): { all: ReturnType<typeof stats>; inConversation: ReturnType<typeof stats>; hits: number; byKind: Record<string, ReturnType<typeof stats>> } => {
    const times: Record<string, number[]> = {};
    let hits = 0;
    for (const q of queries) {
      const [ms, res] = time(() => cache.search.search({ query: q.query, limit: 50 }));
      hits += res.length;
      (times[q.kind] ??= []).push(ms);
    }
    const rc = rng(3);
    const inConv: number[] = [];
    for (const q of queries.slice(0, 100)) {
      const { key } = keyOf(Math.floor(rc() * 20));
      inConv.push(time(() => cache.search.search({ query: q.query, key, limit: 50 }))[0]);
    }
    const byKind = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, stats(v)]));
    return { all: stats(Object.values(times).flat()), inConversation: stats(inConv), hits, byKind };
  };
  for (const q of queries.slice(0, 20)) cache.search.search({ query: q.query, limit: 50 }); // warm up
  const searchBefore = measureSearch();
  log(`search (after bulk sync): p50 ${searchBefore.all.p50} ms, p99 ${searchBefore.all.p99} ms, max ${searchBefore.all.max} ms (n=${searchBefore.all.n}, ${searchBefore.hits} hits); in one conversation p99 ${searchBefore.inConversation.p99} ms`);
  const maintainSlices: number[] = [];
  for (let more = true; more && maintainSlices.length < 100_000; ) maintainSlices.push(time(() => (more = cache.search.maintain(200)))[0]);
  const maintenance = { slices: maintainSlices.length, totalMs: Math.round(maintainSlices.reduce((a, b) => a + b, 0)), sliceP99Ms: stats(maintainSlices).p99, sliceMaxMs: stats(maintainSlices).max };
  log(`index maintenance: ${maintenance.slices} slices of 200 pages, ${maintenance.totalMs} ms in total, slice p99 ${maintenance.sliceP99Ms} ms`);
  const searchAfter = measureSearch();
  log(`search (after maintenance): p50 ${searchAfter.all.p50} ms, p99 ${searchAfter.all.p99} ms, max ${searchAfter.all.max} ms; in one conversation p99 ${searchAfter.inConversation.p99} ms`);
  cache.close();

  // Bulk apply of 10,000 messages in batches of 500: into a fresh cache, and into the 1M cache.
  const bulk = (c: Cache, run: number): { totalMs: number; cpuMs: number; batchP99Ms: number } => {
    const rr = rng(5);
    const seqs = new Map<number, number>();
    const events = makeEvents(corpus, 0, 10_000, seqs, rr, 10_000_000_000 + run * 100_000, 1_000_000 * (run + 1));
    const batches: number[] = [];
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < events.length; i += 500) batches.push(time(() => c.applySyncEvents(events.slice(i, i + 500)))[0]);
    const cpu = process.cpuUsage(cpu0);
    return { totalMs: Math.round(performance.now() - t0), cpuMs: Math.round((cpu.user + cpu.system) / 1000), batchP99Ms: stats(batches).p99 };
  };
  const freshDir = join(tmpdir(), `tern-bench-client-cache-fresh-${process.pid}`);
  const fresh = openCache({ dir: freshDir, userId: ME, key }).cache;
  const bulkFresh = bulk(fresh, 0);
  fresh.close();
  rmSync(freshDir, { recursive: true, force: true });
  // Into the big cache: new conversations (ids above the bench's), so the reuse check stays valid.
  const big = openCache({ dir, userId: ME, key }).cache;
  const bulkBig = bulk(big, big.syncState.getMeta<number>('bench.bulkRuns') ?? 0);
  big.syncState.setMeta('bench.bulkRuns', (big.syncState.getMeta<number>('bench.bulkRuns') ?? 0) + 1);
  big.close();
  log(`bulk apply 10,000: fresh cache ${bulkFresh.totalMs} ms (CPU ${bulkFresh.cpuMs} ms), into the big cache ${bulkBig.totalMs} ms (CPU ${bulkBig.cpuMs} ms)`);

  return {
    messages: total,
    encrypted,
    corpus: corpus.source,
    buildMs: built.buildMs === undefined ? 'reused' : Math.round(built.buildMs),
    openMs: Math.round(openMs),
    fileMB: Math.round(fileBytes / 1e5) / 10,
    pageOf50: { all: allPages, ...pages },
    search: { afterBulkSync: searchBefore, maintenance, afterMaintenance: searchAfter },
    bulkApply10k: { fresh: bulkFresh, into1M: bulkBig },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Direct run (the dispatcher does the same when it knows this suite): print and save the figures.
  run(process.argv.slice(2)).then(
    (res) => {
      const out = join('bench-results', 'client-cache.json');
      mkdirSync('bench-results', { recursive: true });
      writeFileSync(out, `${JSON.stringify({ suite: 'client-cache', finishedAt: new Date().toISOString(), results: res }, null, 2)}\n`);
      console.log(JSON.stringify(res, null, 2));
      console.log(`results written to ${out}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
