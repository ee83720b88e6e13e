// Which Node runs what (docs/RELEASING.md "Node versions"): engines says the
// development floor, `npm run dist` refuses an older Node than the release
// tools need, and every installed package that declares a newer Node than the
// development floor is named in the docs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '../..');
const semver = require('semver') as { satisfies(v: string, range: string): boolean; minVersion(range: string): { version: string } | null };
const { RELEASE_NODE, atLeast } = require('../../build/check-release-node.cjs') as { RELEASE_NODE: string; atLeast(v: string, min: string): boolean };
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };
const devFloor = semver.minVersion(pkg.engines.node)!.version;

describe('Node versions', () => {
  it('engines states the development floor; npm run dist checks the release floor first', () => {
    expect(devFloor).toBe('20.19.0');
    expect(pkg.scripts.dist!.startsWith('node build/check-release-node.cjs && ')).toBe(true);
    expect(RELEASE_NODE).toBe('22.12.0');
    expect([atLeast('v20.20.2', '22.12.0'), atLeast('22.12.0', '22.12.0'), atLeast('v22.11.9', '22.12.0'), atLeast('v24.1.0', '22.12.0')]).toEqual([false, true, false, true]);
    const run = spawnSync(process.execPath, [join(root, 'build/check-release-node.cjs')], { encoding: 'utf8' });
    expect(run.status).toBe(atLeast(process.version, RELEASE_NODE) ? 0 : 1);
    if (run.status !== 0) expect(run.stderr).toContain(`needs Node ${RELEASE_NODE} or newer`);
  });

  it('every package that declares a newer Node than the development floor is listed in docs/RELEASING.md', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };
    const docs = readFileSync(join(root, 'docs/RELEASING.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Node versions'), docs.indexOf('## Cutting a release'));
    const newer = Object.entries(lock.packages)
      .filter(([path, p]) => path && p.engines?.node && !semver.satisfies(devFloor, p.engines.node))
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(newer.length).toBeGreaterThan(0);
    expect(newer.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
  });
});
