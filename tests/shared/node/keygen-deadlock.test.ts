// Node 20 deadlocks for good (0% CPU, main thread waiting on a mutex) when a KeyObject that generateKeyPairSync
// returned is exported while a GC destroys its generation job: the export holds the key's mutex, the job's
// destructor takes it too. The old generateDhKeyPair (generate, then export JWK) hung a process within a few
// thousand key pairs with a small young generation, which is what a busy server or load generator has; the
// fixed one takes the raw keys from the generation itself. A regression makes this test time out.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;

const program = `
import { generateDhKeyPair, dh } from './shared/node/noise/keys.ts';
let checked = 0;
for (let i = 0; i < 20000; i++) {
  const a = generateDhKeyPair();
  if (i % 1000 === 0) {
    const b = generateDhKeyPair();
    if (Buffer.compare(dh(a, b.publicKey), dh(b, a.publicKey)) !== 0) throw new Error('the two sides disagree');
    checked++;
  }
}
console.log('done ' + checked);
`;

describe('generateDhKeyPair under GC pressure', () => {
  it('makes 20,000 key pairs with a 1 MB young generation without hanging, and they agree', async () => {
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', '--input-type=module', '-e', program], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(out.trim()).toBe('done 20');
    expect(code).toBe(0);
  }, 180_000);
});
