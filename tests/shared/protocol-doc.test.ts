/** Guards docs/PROTOCOL.md against drifting from the schema: every command and result code has its table row. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Command, ResultCode } from '../../shared/protocol';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(path.join(repoRoot, 'docs/PROTOCOL.md'), 'utf8');

/** Numeric members of a generated enum, without the UNSPECIFIED zero of Command. */
function members(e: Record<string, string | number>): [string, number][] {
  return Object.entries(e).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
}

function hasRow(number: number, name: string): boolean {
  return new RegExp(`^\\|\\s*${number}\\s*\\|\\s*\`${name}\`\\s*\\|`, 'm').test(doc);
}

describe('docs/PROTOCOL.md', () => {
  it('has a row for every command', () => {
    const missing = members(Command)
      .filter(([name]) => name !== 'UNSPECIFIED')
      .filter(([name, n]) => !hasRow(n, name))
      .map(([name, n]) => `${n} ${name}`);
    expect(missing).toEqual([]);
  });

  it('has a row for every result code', () => {
    const missing = members(ResultCode)
      .filter(([name, n]) => !hasRow(n, name))
      .map(([name, n]) => `${n} ${name}`);
    expect(missing).toEqual([]);
  });

  it('documents no command or result code that does not exist', () => {
    const known = new Set([...members(Command), ...members(ResultCode)].map(([name, n]) => `${n} ${name}`));
    const rows = [...doc.matchAll(/^\|\s*(\d+)\s*\|\s*`([A-Z_]+)`\s*\|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(rows.length).toBeGreaterThan(60);
    expect(rows.filter((r) => !known.has(r))).toEqual([]);
  });

  it('names the protocol and prologue the code uses', async () => {
    const { TERN_NOISE_PROTOCOL, TERN_NOISE_PROLOGUE } = await import('../../shared/node/noise');
    expect(doc).toContain(`\`${TERN_NOISE_PROTOCOL}\``);
    expect(doc).toContain(`\`${new TextDecoder().decode(TERN_NOISE_PROLOGUE)}\``);
  });
});
