import Database from 'better-sqlite3';
import { segmentForIndex } from './electron/client/cache/segment.ts';
const db = new Database('/tmp/fts-exp.db');
db.pragma('journal_mode = WAL');
db.exec(`DROP TABLE IF EXISTS fts2; CREATE VIRTUAL TABLE fts2 USING fts5(body, conv, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='1 3')`);
const t0 = performance.now();
const add = db.prepare(`INSERT INTO fts2 (rowid, body, conv) VALUES (?, ?, ?)`);
const chunk = db.prepare(`SELECT rowid, conv, text FROM messages WHERE rowid > ? ORDER BY rowid LIMIT 5000`);
let after = 0;
for (;;) {
  const rows = chunk.all(after) as { rowid: number; conv: string; text: string }[];
  if (!rows.length) break;
  db.transaction(() => { for (const r of rows) add.run(r.rowid, segmentForIndex(r.text), r.conv.replace(':', '')); })();
  after = rows[rows.length - 1]!.rowid;
}
console.log('build', ((performance.now() - t0) / 1000).toFixed(1), 's');
const size = (t: string) => (db.prepare(`SELECT sum(length(block)) AS n FROM ${t}_data`).get() as { n: number }).n;
console.log('data bytes old', size('messages_fts'), 'new', size('fts2'));
const t = (label: string, sql: string, ...p: unknown[]) => {
  const st = db.prepare(sql);
  st.all(...p);
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) st.all(...p);
  console.log(label.padEnd(40), ((performance.now() - t0) / 3).toFixed(1), 'ms');
};
for (const q of ['body : ("the"*)', 'body : ("is"*)', 'body : ("pro"*)', 'body : ("comp"*)', 'body : ("the"* AND "computer"*)']) {
  for (const [tab, cap] of [['messages_fts', 5000], ['fts2', 5000], ['fts2', 2000]] as const)
    t(`${tab} ${cap} ${q}`, `SELECT rowid, bm25(${tab}, 1.0, 0.0) FROM ${tab} WHERE ${tab} MATCH ? ORDER BY rowid DESC LIMIT ${cap}`, q);
}
t('optimize fts2', `SELECT 1`);
const o0 = performance.now();
db.exec(`INSERT INTO fts2(fts2) VALUES('optimize')`);
console.log('optimize', ((performance.now() - o0) / 1000).toFixed(1), 's', 'bytes', size('fts2'));
for (const q of ['body : ("the"*)', 'body : ("is"*)', 'body : ("我们")', 'body : ("的"*)'])
  t(`opt fts2 ${q}`, `SELECT rowid, bm25(fts2, 1.0, 0.0) FROM fts2 WHERE fts2 MATCH ? ORDER BY rowid DESC LIMIT 5000`, q);
