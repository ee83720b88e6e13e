import { openCache } from './electron/client/cache/index.ts';
const { cache } = openCache({ dir: '/tmp/tern-bench-client-cache', userId: 1 });
const db = (cache as any).ctx.db.raw;
const segs = () => (db.prepare(`SELECT count(*) n FROM messages_fts_data`).get() as any).n;
console.log('data rows before', segs());
const qs = ['the', 'you', 'the computer', '的', '不', 'is', 'a', 'pro'];
const t = () => qs.map((q) => { const t0 = performance.now(); for (let i = 0; i < 3; i++) cache.search.search({ query: q, limit: 50 }); return ((performance.now() - t0) / 3).toFixed(1); }).join(' ');
console.log('before', t());
let n = 0, worst = 0; const t0 = performance.now();
for (let more = true; more && n < 100000; n++) { const s = performance.now(); more = cache.search.maintain(200); worst = Math.max(worst, performance.now() - s); }
console.log('slices', n, 'total ms', (performance.now() - t0).toFixed(0), 'worst slice', worst.toFixed(1), 'data rows after', segs());
console.log('after ', t());
cache.close();
