// Nothing in the repository reads outside it (issue 9 item 2): no committed
// source, test, script or config names a path above the repository root,
// and the run-time guard (tests/support/repo-boundary.ts, a setup file of
// every Node test project) refuses such reads in every test worker.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config';
import e2eConfig from '../e2e/vitest.config';
import { enclosingFolders, isOutsideRepository, outsideTheGuard, OutsideRepositoryError, repoRoot, takeViolations } from '../support/repo-boundary';
import { scanPackageJson, scanText, type Finding } from './repo-boundary-scan';

const MODULE = /\.(ts|mts|cts|js|mjs|cjs|vue)$/;
const SHELL = /\.(sh|bash)$|^Dockerfile$|\.service$|\.ya?ml$/;

/** Every file git would commit: tracked, plus new files not ignored. */
function committedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8' });
  return [...new Set(out.split('\0').filter((f) => f !== ''))];
}

function scanRepository(): { scanned: number; findings: Finding[] } {
  let scanned = 0;
  const findings: Finding[] = [];
  for (const file of committedFiles()) {
    if (file.startsWith('tests/fixtures/') || file.startsWith('shared/gen/')) continue; // data and generated code
    const absolute = path.join(repoRoot, file);
    let text: string;
    try {
      text = readFileSync(absolute, 'utf8');
    } catch {
      continue; // deleted in the work tree
    }
    if (file === 'package.json') findings.push(...scanPackageJson(text, repoRoot));
    else if (MODULE.test(file)) findings.push(...scanText(file, text, repoRoot, 'module'));
    else if (SHELL.test(path.basename(file))) findings.push(...scanText(file, text, repoRoot, 'shell'));
    else continue;
    scanned++;
  }
  return { scanned, findings };
}

describe('no committed file reads outside the repository', () => {
  it('no source, test, script or config names a path above the root', () => {
    const { scanned, findings } = scanRepository();
    expect(scanned).toBeGreaterThan(300);
    expect(findings.map((f) => `${f.file}:${f.line} ${f.literal}: ${f.why}`)).toEqual([]);
  });

  it('the scan catches the ways such a path is written (the first version read test vectors from a sibling folder)', () => {
    const root = '/srv/checkout/tern';
    const bad: Array<[string, string, 'module' | 'shell']> = [
      ['tests/shared/node/noise-vectors.test.ts', "const vectorsPath = path.resolve(repoRoot, '../team-data/vectors/noise/cacophony.json');", 'module'],
      ['tests/shared/node/x.test.ts', "const f = path.join(here, '../../../../team-data/vectors.json');", 'module'],
      ['tests/shared/node/x.test.ts', "const f = new URL('../../../../handbook/notes.md', import.meta.url);", 'module'],
      ['tests/shared/node/x.test.ts', "import data from '../../../../elsewhere/data.json';", 'module'],
      ['tests/shared/node/x.test.ts', "const up = path.resolve(import.meta.dirname, '..', '..', '..', '..', 'team-data');", 'module'],
      ['scripts/x.ts', "const other = join(process.cwd(), '..', 'team-data');", 'module'],
      ['scripts/x.ts', "const handbook = '/srv/checkout/team-data/GUIDE.md';", 'module'],
      ['scripts/x.sh', 'cat ../team-data/GUIDE.md', 'shell'],
    ];
    for (const [file, line, kind] of bad) expect(scanText(file, line, root, kind), line).toHaveLength(1);
    expect(scanPackageJson(JSON.stringify({ scripts: { vectors: 'cp ../team-data/vectors/*.json tests/fixtures/' } }), root)).toHaveLength(1);
  });

  it('and leaves paths inside the repository alone', () => {
    const root = '/srv/checkout/tern';
    const good: Array<[string, string, 'module' | 'shell']> = [
      ['tests/shared/node/x.test.ts', "const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');", 'module'],
      ['tests/shared/node/x.test.ts', "import { x } from '../../../shared/protocol';", 'module'],
      ['electron/main/index.ts', "const indexFile = join(here, '../renderer/index.html');", 'module'],
      ['tests/x.test.ts', "const f = path.join(repoRoot, 'tests/fixtures/noise/cacophony.json');", 'module'],
      ['tests/x.test.ts', "const chromium = '/usr/bin/chromium'; const t = '/tmp/x';", 'module'],
      ['scripts/x.sh', 'cd tests && cat ./fixtures/a.json', 'shell'],
    ];
    for (const [file, line, kind] of good) expect(scanText(file, line, root, kind), line).toEqual([]);
  });
});

describe('the run-time guard', () => {
  it('is a setup file of every Node test project and of the end-to-end tests', () => {
    const projects = (config.test?.projects ?? []).filter((p): p is { test: { name?: string; environment?: string; setupFiles?: string[] } } => typeof p === 'object' && p !== null && 'test' in p);
    const node = projects.filter((p) => p.test.environment === 'node');
    expect(node.length).toBeGreaterThan(5);
    for (const p of node) expect(p.test.setupFiles, p.test.name).toContain('tests/support/repo-boundary.ts');
    expect(e2eConfig.test?.setupFiles).toContain('tests/support/repo-boundary.ts');
  });

  it('draws the line at the folders enclosing the checkout', () => {
    const root = '/srv/wt/tern';
    expect(enclosingFolders(root, '/home/me')).toEqual(['/srv/wt', '/srv']);
    expect(enclosingFolders('/home/me/src/tern', '/home/me')).toEqual(['/home/me/src']);
    const outside = (p: string): boolean => isOutsideRepository(p, root, '/home/me', '/tmp');
    expect(['/srv/team-data/GUIDE.md', '/srv/main/package.json', '/srv/wt/other/x', '/srv/wt/ternx/y'].filter(outside)).toHaveLength(4);
    expect(['/srv/wt/tern/tests/x', '/srv/wt', '/srv', '/usr/bin/chromium', '/tmp/x', '/proc/self/io', '/home/me/.cache/x'].filter(outside)).toEqual([]);
  });

  it('a checkout inside the temp directory still has siblings there (a CI clone in /tmp/job/repo)', () => {
    const outside = (p: string): boolean => isOutsideRepository(p, '/tmp/job/repo', '/root', '/tmp');
    expect(['/tmp/job/log', '/tmp/job/team-data/GUIDE.md', '/tmp/job/other/x'].filter(outside)).toHaveLength(3);
    expect(['/tmp/job/repo/tests/x', '/tmp/job', '/tmp/vitest-1/x', '/tmp/x', '/usr/bin/chromium'].filter(outside)).toEqual([]);
  });

  it('refuses to read a file beside the checkout, sync or async, and remembers it', async () => {
    // A folder of our own beside the checkout (removed at the end): a clone has no such thing.
    let sibling: string;
    try {
      sibling = outsideTheGuard(() => mkdtempSync(path.join(path.dirname(repoRoot), '.tern-boundary-probe-')));
    } catch {
      // The parent folder is not writable here: the rule itself is proved above.
      expect(isOutsideRepository(path.join(path.dirname(repoRoot), 'anything'))).toBe(true);
      return;
    }
    try {
      const file = path.join(sibling, 'outside.txt');
      outsideTheGuard(() => writeFileSync(file, 'not in the repository'));
      expect(() => readFileSync(file, 'utf8')).toThrow(OutsideRepositoryError);
      await expect(readFile(file, 'utf8')).rejects.toThrow(/read outside the repository/);
      expect(takeViolations().map((e) => e.target)).toEqual([file, file]);
      // A file that does not exist there is no dependency: a clone gives the same answer.
      expect(() => readFileSync(path.join(sibling, 'missing.txt'))).toThrow(/ENOENT/);
      expect(takeViolations()).toEqual([]);
      // Inside the repository, reads work as always.
      expect(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).name).toBe('tern-messenger');
    } finally {
      outsideTheGuard(() => rmSync(sibling, { recursive: true, force: true }));
    }
  });
});
