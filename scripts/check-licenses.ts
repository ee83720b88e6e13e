/**
 * `npm run check:licenses` (part of `npm test`): fails when a package that
 * ships (a production dependency, or one the shipped code imports, each with
 * its dependencies) is not permissively licensed (scripts/lib/licenses.ts
 * says what ships and what passes), or when NOTICE lacks a dependency's notice.
 * `npm run notice` rewrites NOTICE. `--root DIR` checks another tree (tests).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkLicenses } from './lib/licenses';
import { dependencyNotices, renderNotice } from './lib/notice';

const { values } = parseArgs({ options: { root: { type: 'string' }, 'write-notice': { type: 'boolean', default: false } } });
const root = resolve(values.root ?? join(import.meta.dirname, '..'));
const noticePath = join(root, 'NOTICE');
const notice = renderNotice(dependencyNotices(root));

if (values['write-notice']) {
  writeFileSync(noticePath, notice);
  console.log(`NOTICE written (${notice.split('\n----- ').length - 1} dependency notices)`);
  process.exit(0);
}

const { checked, problems } = checkLicenses(root);
let failed = false;
if (problems.length > 0) {
  failed = true;
  console.error(`${problems.length} ${problems.length === 1 ? 'package that ships is' : 'packages that ship are'} not permissively licensed:`);
  for (const p of problems) console.error(`  ${p.name}@${p.version} (${p.path}, via ${p.via}): ${p.why}`);
  console.error('Remove or replace them, or (fonts only, OFL-1.1) name the package in scripts/lib/licenses.ts with the reason.');
}
if (!existsSync(noticePath) || readFileSync(noticePath, 'utf8') !== notice) {
  failed = true;
  console.error('NOTICE is out of date with the dependencies that have NOTICE files: run npm run notice');
}
if (failed) process.exit(1);
console.log(`licences: ${checked} packages ship, all permissive; NOTICE up to date`);
