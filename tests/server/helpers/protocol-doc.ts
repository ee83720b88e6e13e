/**
 * Reads the tables of docs/PROTOCOL.md that the conformance tests hold the
 * server to: §6 (error codes per command) and §11 (limits).
 */
import { readFileSync } from 'node:fs';
import { Command, isRequestCommand, ResultCode, type RequestCommand } from '../../../shared/protocol';

const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(title);
  if (start < 0) throw new Error(`docs/PROTOCOL.md has no section "${title}"`);
  const next = doc.indexOf('\n## ', start + title.length);
  return doc.slice(start, next < 0 ? undefined : next);
}

function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-+/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

/** The result codes named in a cell (command names, also in backticks, are skipped). */
const codeNames = (cell: string): ResultCode[] =>
  [...cell.matchAll(/`([A-Z_]+)`/g)].flatMap((m) => {
    const code = (ResultCode as unknown as Record<string, number>)[m[1]!];
    if (code !== undefined) return [code as ResultCode];
    if ((Command as unknown as Record<string, number>)[m[1]!] !== undefined) return [];
    throw new Error(`docs/PROTOCOL.md names an unknown result code ${m[1]}`);
  });

/** §6: for each request command, the error codes its row lists. */
export function documentedErrorCodes(): Map<RequestCommand, Set<ResultCode>> {
  const out = new Map<RequestCommand, Set<ResultCode>>();
  for (const cells of tableRows(section('## 6. Commands'))) {
    const [number, name, dir, , , errors] = cells;
    if (!number || !/^\d+$/.test(number) || !dir?.includes('C')) continue;
    const command = Number(number);
    if (!isRequestCommand(command)) continue;
    if (name !== `\`${Command[command]}\``) throw new Error(`§6 row ${number} names ${name}, the schema says ${Command[command]}`);
    out.set(command, new Set(codeNames(errors ?? '')));
  }
  return out;
}

/** §6: the codes any request may get besides its own. */
export function generalCodes(): Set<ResultCode> {
  const text = section('## 6. Commands');
  const sentence = /\*\*general codes\*\*:([\s\S]*?)\. A client must/.exec(text);
  if (!sentence) throw new Error('§6 lost its sentence about the general codes');
  return new Set(codeNames(sentence[1]!));
}

export interface LimitRow {
  what: string;
  limit: string;
  codes: ResultCode[];
}

/** §11: the limits table, by its first column. */
export function documentedLimits(): LimitRow[] {
  return tableRows(section('## 11. Limits'))
    .slice(1)
    .filter((cells) => cells.length === 3)
    .map(([what, limit, code]) => ({ what: what!, limit: limit!, codes: codeNames(code!) }));
}

/** §11.1: the throttling table. */
export function documentedThrottles(): Array<{ what: string; per: string; limit: string; advice: string }> {
  const text = section('## 11. Limits');
  const sub = text.slice(text.indexOf('### 11.1'));
  return tableRows(sub)
    .slice(1)
    .filter((cells) => cells.length === 4)
    .map(([what, per, limit, advice]) => ({ what: what!, per: per!, limit: limit!, advice: advice! }));
}

/** "1-64" in a limit cell, as numbers. */
export function range(limit: string): { min: number; max: number } {
  const m = /(\d[\d,]*)-(\d[\d,]*)/.exec(limit);
  if (!m) throw new Error(`no range in "${limit}"`);
  const n = (s: string) => Number(s.replaceAll(',', ''));
  return { min: n(m[1]!), max: n(m[2]!) };
}
