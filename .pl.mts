import Database from 'better-sqlite3';
const db = new Database('/tmp/tern-bench-client-cache/accounts/1/cache.db', { readonly: true });
const q = (sql: string, ...p: unknown[]) => { const st = db.prepare(sql); const t = performance.now(); for (let i = 0; i < 50; i++) st.all(...p); console.log(((performance.now() - t) / 50).toFixed(3), 'ms |', db.prepare('EXPLAIN QUERY PLAN ' + sql).all(...p).map((r: any) => r.detail).join(' | ')); };
q(`SELECT max(sort_key) AS s FROM messages WHERE conv = ? AND sort_key < ?`, 'u:11', 2 ** 52);
q(`SELECT rowid, sent_at FROM messages WHERE conv = ? ORDER BY sort_key DESC, rowid DESC LIMIT 1`, 'u:11');
q(`SELECT count(*) AS n, max(mentions_me) AS m FROM messages WHERE conv = ? AND sort_key > ? AND sort_key < ? AND outgoing = 0 AND recalled = 0`, 'u:11', 40000, 2 ** 52);
q(`SELECT coalesce(sum(unread), 0) AS n FROM conversations WHERE muted = 0`);
