// Every test file must belong to a Vitest project: a test moved or added to a
// folder that no project includes would otherwise never run, silently.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config';
import e2eConfig from '../e2e/vitest.config';

const root = path.resolve(import.meta.dirname, '../..');

function testFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

// A Vitest include glob as a RegExp (the configs use only `**/` and `*`).
function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}$`);
}

/** The include globs of every unit project and of the E2E config. */
function includes(): RegExp[] {
  const globs: string[] = [...(e2eConfig.test?.include ?? [])];
  for (const project of config.test?.projects ?? []) {
    if (typeof project === 'object' && project !== null && 'test' in project) globs.push(...(project.test?.include ?? []));
  }
  return globs.map(globToRegExp);
}

describe('Vitest projects', () => {
  it('run every test file under tests/', () => {
    const patterns = includes();
    expect(patterns.length).toBeGreaterThan(5);
    const orphans = testFiles('tests').filter((f) => !patterns.some((p) => p.test(f)));
    expect(orphans).toEqual([]);
  });
});
