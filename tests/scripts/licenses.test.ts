// The licence gate of npm test: it passes permissive packages that ship (production dependencies and what shipped
// code imports, at any depth) and fails on copyleft, undeclared or proprietary ones; development tools nothing
// shipped imports are not judged. Against a fixture tree, then the real one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLicenses, licenseProblem, parseSpdx, shippedLicenses } from '../../scripts/lib/licenses';
import { dependencyNotices, renderNotice } from '../../scripts/lib/notice';

const root = new URL('../../', import.meta.url).pathname;
const fixture = JSON.parse(readFileSync(new URL('../fixtures/licenses/tree.json', import.meta.url), 'utf8')) as {
  lockfile: unknown;
  installed: Record<string, unknown>;
  notices: Record<string, string>;
  sources: Record<string, string>;
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The fixture project written out; `drop` leaves packages out of the lockfile. */
function fixtureTree(drop: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'tern-licenses-'));
  dirs.push(dir);
  const lock = structuredClone(fixture.lockfile) as { packages: Record<string, unknown> };
  for (const path of drop) delete lock.packages[path];
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
  for (const [path, pkg] of Object.entries(fixture.installed)) {
    mkdirSync(join(dir, path), { recursive: true });
    writeFileSync(join(dir, path, 'package.json'), JSON.stringify(pkg));
  }
  for (const [path, text] of Object.entries(fixture.notices)) writeFileSync(join(dir, path, 'NOTICE'), text);
  for (const [path, text] of Object.entries(fixture.sources)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const failing = [
  'node_modules/bundled-dev-dep',
  'node_modules/ok-mit/node_modules/deep-gpl',
  'node_modules/agpl',
  'node_modules/lgpl',
  'node_modules/both',
  'node_modules/gpl-exception',
  'node_modules/no-license',
  'node_modules/see-file',
  'node_modules/proprietary',
  'node_modules/font-elsewhere',
  'node_modules/gibberish',
];

describe('licence gate', () => {
  it('names every package that ships and is not permissive, at any depth, and nothing else', () => {
    const { checked, problems } = checkLicenses(fixtureTree());
    // The 16 production packages, and the dev package shipped code imports with its dependency; not the root, not
    // the dev-only GPL tool, not the package imported for its types only.
    expect(checked).toBe(18);
    expect(problems.map((p) => p.path).sort()).toEqual([...failing].sort());
    const why = Object.fromEntries(problems.map((p) => [p.name, p.why]));
    expect(problems.find((p) => p.name === 'bundled-dev-dep')!.via).toBe('bundled-dev');
    expect(why).toEqual({
      'bundled-dev-dep': 'GPL-3.0-only is not permissive',
      'deep-gpl': 'GPL-2.0-or-later is not permissive',
      agpl: 'AGPL-3.0 is not permissive',
      lgpl: 'LGPL-2.1 is not permissive',
      both: '(MIT AND GPL-2.0) is not permissive',
      'gpl-exception': 'GPL-2.0-only WITH Classpath-exception-2.0 is not permissive',
      'no-license': 'no licence declared',
      'see-file': 'not an open licence (SEE LICENSE IN LICENSE.md)',
      proprietary: 'not an open licence (UNLICENSED)',
      'font-elsewhere': 'OFL-1.1 is not permissive',
      gibberish: 'not an SPDX licence expression (MIT AND)',
    });
  });

  it('the script exits 1 and lists them; without them it passes', () => {
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-licenses.ts', '--root', fixtureTree()], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('11 packages that ship are not permissively licensed');
    expect(bad.stderr).toContain('agpl@1.0.0 (node_modules/agpl, via dependencies): AGPL-3.0 is not permissive');
    expect(bad.stderr).toContain('bundled-dev-dep@1.0.0 (node_modules/bundled-dev-dep, via bundled-dev): GPL-3.0-only is not permissive');

    const clean = fixtureTree(failing);
    writeFileSync(join(clean, 'NOTICE'), renderNotice(dependencyNotices(clean)));
    const good = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-licenses.ts', '--root', clean], { cwd: root, encoding: 'utf8' });
    expect(good.stderr).toBe('');
    expect(good.stdout).toBe('licences: 7 packages ship, all permissive; NOTICE up to date\n');
    expect(good.status).toBe(0);
  });

  it("NOTICE carries the dependencies' NOTICE files, and is checked", () => {
    const clean = fixtureTree(failing);
    const notice = renderNotice(dependencyNotices(clean));
    expect(notice).toContain('----- ok-apache-notice 3.1.0 (Apache-2.0) -----\n\nFixture Apache Project\nCopyright 2020 Example Foundation');
    writeFileSync(join(clean, 'NOTICE'), 'Tern\n');
    const stale = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-licenses.ts', '--root', clean], { cwd: root, encoding: 'utf8' });
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('NOTICE is out of date');
  });

  it('reads SPDX expressions: OR needs one side, AND both, WITH its licence; OFL only for named fonts', () => {
    const pass = (license: string, name = 'x') => licenseProblem({ path: '', name, version: '1', license, via: 'source' }) === undefined;
    expect(pass('(BSD-2-Clause OR MIT OR Apache-2.0)')).toBe(true);
    expect(pass('(Apache-2.0 AND BSD-3-Clause)')).toBe(true);
    expect(pass('(MIT OR WTFPL)')).toBe(true);
    expect(pass('WTFPL')).toBe(false);
    expect(pass('MPL-2.0')).toBe(false);
    expect(pass('Apache-2.0 WITH LLVM-exception')).toBe(true);
    expect(pass('OFL-1.1', '@fontsource/noto-color-emoji')).toBe(true);
    expect(pass('OFL-1.1', 'some-lib')).toBe(false);
    expect(parseSpdx('(MIT OR')).toBeNull();
    expect(parseSpdx('MIT OR (ISC AND 0BSD)')).toEqual({ op: 'OR', left: { id: 'MIT' }, right: { op: 'AND', left: { id: 'ISC' }, right: { id: '0BSD' } } });
  });

  it('this repository passes: every package that ships is permissive and NOTICE is current', () => {
    const { checked, problems } = checkLicenses(root);
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(50);
    // What the server and the renderer bundle counts as shipped, wherever package.json lists it.
    const shipped = new Set(shippedLicenses(root).map((p) => p.name));
    for (const name of ['vue', 'pinia', 'prom-client', 'zod', 'pino', 'better-sqlite3', '@bufbuild/protobuf']) expect(shipped, name).toContain(name);
    expect(readFileSync(join(root, 'NOTICE'), 'utf8')).toBe(renderNotice(dependencyNotices(root)));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license?: string };
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
  });
});
