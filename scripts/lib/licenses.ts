/**
 * Licences of what ships. What ships is (a) every package electron-builder
 * puts into the desktop app (the lockfile's packages not marked `dev`) and
 * (b) every package the shipped code imports, bundled into the app's and the
 * server's bundles whatever its place in package.json: the bare imports of
 * the source folders that ship (`shippedSourceDirs`), and, transitively,
 * their dependencies as the lockfile resolves them. Development tools that
 * nothing shipped imports (test runners, linters, the bundlers) are not
 * checked. A package's licence is read from its installed package.json (the
 * lockfile's `license` when it is not installed, e.g. a binary for another
 * platform).
 *
 * A licence passes when its SPDX expression can be satisfied with permissive
 * licences only: `A OR B` needs one of them, `A AND B` both, `A WITH
 * exception` needs A. Copyleft (GPL, LGPL, AGPL, MPL, EPL, ...), a missing
 * licence, UNLICENSED and "SEE LICENSE IN" do not pass.
 *
 * Fonts: OFL-1.1 is accepted for font packages named in `fontPackages` only.
 * The OFL lets a font be bundled and redistributed with any software, free or
 * commercial; the font itself may not be sold alone and keeps its licence
 * (shipped inside the package). It does not reach the code around it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

/** Source folders whose code ships: in the desktop app's bundles or the compiled server. */
export const shippedSourceDirs = ['server', 'shared', 'electron', 'renderer'];

/** SPDX ids anyone may ship in a product, with attribution at most. */
export const permissiveLicenses: ReadonlySet<string> = new Set([
  'MIT',
  'MIT-0',
  'ISC',
  '0BSD',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'BSD-3-Clause-Clear',
  'Apache-2.0',
  'Unlicense',
  'BlueOak-1.0.0',
  'Python-2.0',
  'CC0-1.0',
  'CC-BY-3.0',
  'CC-BY-4.0',
  'Zlib',
  'X11',
]);

/**
 * Packages whose package.json declares no licence but whose files state one,
 * read by a person; by exact version, so a new release is read again.
 */
export const reviewedLicenses: ReadonlyMap<string, { license: string; where: string }> = new Map([
  // A dependency of tus-js-client; its Readme.md ends "## License\n\nMIT".
  ['combine-errors@3.0.3', { license: 'MIT', where: 'Readme.md, section License' }],
]);

/** Font packages that may be OFL-1.1 (see the header). */
export const fontPackages: ReadonlySet<string> = new Set(['@fontsource/noto-color-emoji']);

export interface PackageLicense {
  /** node_modules path in the lockfile, e.g. node_modules/a/node_modules/b */
  path: string;
  name: string;
  version: string;
  /** The licence as declared ("" when none). */
  license: string;
  /** Why it ships: "source" (imported by shipped code), "dependencies" (package.json), or the package that needs it. */
  via: string;
}

export interface LicenseProblem extends PackageLicense {
  why: string;
}

interface LockPackage {
  version?: string;
  name?: string;
  dev?: boolean;
  license?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function declaredLicense(pkg: { license?: unknown; licenses?: unknown }): string {
  if (typeof pkg.license === 'string') return pkg.license.trim();
  if (pkg.license && typeof pkg.license === 'object' && typeof (pkg.license as { type?: unknown }).type === 'string') return (pkg.license as { type: string }).type;
  // Old style: "licenses": [{ "type": "MIT" }, ...] means any of them.
  if (Array.isArray(pkg.licenses)) {
    const types = pkg.licenses.map((l: unknown) => (l && typeof l === 'object' ? (l as { type?: unknown }).type : l)).filter((t): t is string => typeof t === 'string');
    if (types.length > 0) return types.length === 1 ? types[0]! : `(${types.join(' OR ')})`;
  }
  return '';
}

const importPatterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g];
const packageName = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*/;
const builtins = new Set(builtinModules);

/** Package names that shipped source files import (type-only imports ship no code and are skipped). */
export function importedPackages(root: string, dirs: readonly string[] = shippedSourceDirs): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') visit(full);
        continue;
      }
      if (!/\.(ts|vue|js|cjs|mjs|css)$/.test(entry.name)) continue;
      const text = readFileSync(full, 'utf8').replace(/^\s*(import|export)\s+type\b[^;]*;/gm, '');
      for (const pattern of importPatterns) {
        for (const m of text.matchAll(pattern)) {
          const spec = m[1]!;
          if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || builtins.has(spec.split('/')[0]!)) continue;
          const name = packageName.exec(spec)?.[0];
          if (name && (name.startsWith('@') ? name.includes('/') : true)) names.add(name);
        }
      }
    }
  };
  for (const dir of dirs) if (existsSync(join(root, dir))) visit(join(root, dir));
  return names;
}

/** Where Node finds `name` required from the package at `from` ("" = the project): the lockfile path, or undefined. */
function resolveIn(packages: Record<string, LockPackage>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/** The packages that ship (see the header) with their declared licences. */
export function shippedLicenses(root: string, dirs: readonly string[] = shippedSourceDirs): PackageLicense[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages?: Record<string, LockPackage> };
  const packages = lock.packages ?? {};
  const via = new Map<string, string>();
  const queue: string[] = [];
  const reach = (path: string | undefined, why: string) => {
    if (path === undefined || via.has(path) || packages[path]?.link) return;
    via.set(path, why);
    queue.push(path);
  };
  for (const [path, entry] of Object.entries(packages)) if (path !== '' && entry.dev !== true) reach(path, 'dependencies');
  for (const name of importedPackages(root, dirs)) reach(resolveIn(packages, '', name), 'source');
  while (queue.length > 0) {
    const path = queue.shift()!;
    const entry = packages[path]!;
    const needs = { ...entry.peerDependencies, ...entry.optionalDependencies, ...entry.dependencies };
    for (const dep of Object.keys(needs)) reach(resolveIn(packages, path, dep), path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  }
  const out: PackageLicense[] = [];
  for (const [path, why] of via) {
    const entry = packages[path]!;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const manifest = join(root, path, 'package.json');
    let license = entry.license ?? '';
    let version = entry.version ?? '';
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { license?: unknown; licenses?: unknown; version?: string };
      license = declaredLicense(pkg) || license;
      version = pkg.version ?? version;
    }
    if (license === '') license = reviewedLicenses.get(`${name}@${version}`)?.license ?? '';
    out.push({ path, name, version, license, via: why });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

type Expr = { id: string } | { op: 'AND' | 'OR'; left: Expr; right: Expr };

/** Parses an SPDX license expression (ids, AND, OR, WITH, parentheses); null when it is not one. */
export function parseSpdx(text: string): Expr | null {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const primary = (): Expr | null => {
    const t = tokens[i++];
    if (t === undefined) return null;
    if (t === '(') {
      const inner = orExpr();
      return tokens[i++] === ')' ? inner : null;
    }
    if (t === ')' || /^(AND|OR|WITH)$/i.test(t)) return null;
    let id = t.replace(/\+$/, '');
    if (tokens[i]?.toUpperCase() === 'WITH') {
      i++;
      const exception = tokens[i++];
      if (!exception || exception === '(' || exception === ')') return null;
      id = `${id} WITH ${exception}`;
    }
    return { id };
  };
  const binary = (op: 'AND' | 'OR', next: () => Expr | null) => (): Expr | null => {
    let left = next();
    while (left && tokens[i]?.toUpperCase() === op) {
      i++;
      const right = next();
      if (!right) return null;
      left = { op, left, right };
    }
    return left;
  };
  const andExpr = binary('AND', primary);
  const orExpr = binary('OR', andExpr);
  const expr = orExpr();
  return expr && i === tokens.length ? expr : null;
}

function satisfiable(expr: Expr, allowed: (id: string) => boolean): boolean {
  if ('id' in expr) return allowed(expr.id.split(' WITH ')[0]!);
  return expr.op === 'OR' ? satisfiable(expr.left, allowed) || satisfiable(expr.right, allowed) : satisfiable(expr.left, allowed) && satisfiable(expr.right, allowed);
}

/** Why a package's licence does not pass, or undefined when it does. */
export function licenseProblem(pkg: PackageLicense): string | undefined {
  if (pkg.license === '') return 'no licence declared';
  if (/^(UNLICENSED|SEE LICEN[CS]E IN\b)/i.test(pkg.license)) return `not an open licence (${pkg.license})`;
  const expr = parseSpdx(pkg.license);
  if (!expr) return `not an SPDX licence expression (${pkg.license})`;
  const allowed = (id: string) => permissiveLicenses.has(id) || (id === 'OFL-1.1' && fontPackages.has(pkg.name));
  return satisfiable(expr, allowed) ? undefined : `${pkg.license} is not permissive`;
}

export function checkLicenses(root: string, dirs: readonly string[] = shippedSourceDirs): { checked: number; problems: LicenseProblem[] } {
  const packages = shippedLicenses(root, dirs);
  const problems = packages.flatMap((pkg) => {
    const why = licenseProblem(pkg);
    return why ? [{ ...pkg, why }] : [];
  });
  return { checked: packages.length, problems };
}
