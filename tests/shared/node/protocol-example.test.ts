/** docs/PROTOCOL.md §2.3 shows the bytes our implementation produces for the worked example. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { protocolExample } from './protocol-example';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('PROTOCOL.md worked example', () => {
  it('matches the implementation byte for byte', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/PROTOCOL.md'), 'utf8');
    for (const [name, value] of Object.entries(protocolExample())) {
      expect(doc.includes(value), `${name} = ${value} is not in docs/PROTOCOL.md`).toBe(true);
    }
  });
});
