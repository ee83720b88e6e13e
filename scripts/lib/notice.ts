/**
 * The repository's NOTICE: the project's own notice, then the NOTICE file of
 * every production dependency that has one (Apache-2.0 §4(d) asks that these
 * travel with anything that redistributes the dependency). `npm run notice`
 * writes it; `npm run check:licenses` fails when it is out of date.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shippedLicenses } from './licenses';

export interface DependencyNotice {
  name: string;
  version: string;
  license: string;
  text: string;
}

const noticeFile = /^NOTICE(\.(md|txt))?$/i;

export function dependencyNotices(root: string): DependencyNotice[] {
  const seen = new Set<string>();
  const out: DependencyNotice[] = [];
  for (const pkg of shippedLicenses(root)) {
    const dir = join(root, pkg.path);
    if (!existsSync(dir) || seen.has(`${pkg.name}@${pkg.version}`)) continue;
    const file = readdirSync(dir).find((f) => noticeFile.test(f));
    if (!file) continue;
    seen.add(`${pkg.name}@${pkg.version}`);
    out.push({ name: pkg.name, version: pkg.version, license: pkg.license, text: readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n').trim() });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

export function renderNotice(notices: readonly DependencyNotice[]): string {
  const head = [
    'Tern',
    'Copyright 2026 The Tern authors',
    '',
    'Licensed under the Apache License, Version 2.0 (see LICENSE).',
    '',
    'Tern includes third-party software, each under its own licence (see each',
    "package's LICENSE in node_modules).",
    notices.length > 0
      ? 'The NOTICE files of the dependencies that have one follow, as their licences ask.'
      : 'None of the production dependencies ships a NOTICE file today; `npm run notice`\nadds their text here when one does.',
  ];
  const parts = notices.map((n) => [`----- ${n.name} ${n.version} (${n.license}) -----`, '', n.text].join('\n'));
  return [head.join('\n'), ...parts].join('\n\n') + '\n';
}
