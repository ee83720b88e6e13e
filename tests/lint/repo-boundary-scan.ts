/**
 * The static half of the repository-boundary guard (tests/support/repo-boundary.ts
 * has the rule and the run-time half): finds path literals in committed
 * files that resolve outside the repository.
 *
 * A literal with `..` segments is resolved against the folder of the file it
 * is in (imports, `new URL(x, import.meta.url)`, `join(here, x)`), and also
 * against the repository root when its line names the root or the working
 * directory and is not anchored at its file (`resolve(repoRoot, '../shared/x')`,
 * the first version's bug; not `const root = resolve(import.meta.dirname, '..')`).
 * Consecutive literals on a line are joined first, so `join(here, '..', '..')`
 * counts both. Shell scripts and package.json scripts run from the root.
 * Absolute literals are checked with the run-time rule (a folder enclosing
 * the checkout, outside it). It reads text, not syntax: enough for the ways a
 * path is written in this code base, and the run-time guard catches the rest
 * in every test.
 */
import path from 'node:path';
import { isOutsideRepository } from '../support/repo-boundary';

export interface Finding {
  file: string;
  line: number;
  literal: string;
  why: string;
}

const LITERAL = /(['"`])((?:\\.|(?!\1)[^\\\n])*)\1/g;
const RELATIVE = /^\.\.?(\/|$)/;
const HAS_PARENT = /(^|\/)\.\.(\/|$)/;
const ROOT_CONTEXT = /\b(repoRoot|rootDir|projectRoot|root|ROOT|cwd)\b/;
/** A line whose relative paths are anchored at its own file (imports, import.meta, __dirname). */
const FILE_ANCHOR = /import\.meta|__dirname|__filename|\bfrom\s+['"]|\bimport\(|\brequire\(|vi\.mock\(|new URL\(/;

/** The path-like string literals of a line, in order (template literals with substitutions are skipped). */
function pathLiterals(line: string): string[] {
  const out: string[] = [];
  for (const match of line.matchAll(LITERAL)) {
    const text = match[2]!;
    if (match[1] === '`' && text.includes('${')) continue;
    if (RELATIVE.test(text) || (text.startsWith('/') && text.length > 1 && !text.startsWith('//'))) out.push(text);
  }
  return out;
}

/** The path-like words of a shell line (paths are not quoted there). */
function shellWords(line: string): string[] {
  return line.split(/[\s'"=;()|&<>]+/).filter((w) => RELATIVE.test(w) || (w.startsWith('/') && w.length > 1));
}

function escapes(base: string, parts: string[], root: string): boolean {
  const resolved = path.resolve(base, ...parts);
  return resolved !== root && !resolved.startsWith(root + path.sep);
}

/**
 * Findings in one file. `file` is relative to `root`; `kind` says how its
 * relative paths are resolved: 'module' (source and tests: from the file's
 * folder, and from the root where the line names it) or 'shell' (from the
 * root).
 */
export function scanText(file: string, text: string, root: string, kind: 'module' | 'shell'): Finding[] {
  const findings: Finding[] = [];
  const folder = path.join(root, path.dirname(file));
  text.split('\n').forEach((line, index) => {
    const literals = kind === 'shell' ? shellWords(line) : pathLiterals(line);
    if (literals.length === 0) return;
    const found = (literal: string, why: string): void => void findings.push({ file, line: index + 1, literal, why });
    for (const literal of literals) {
      if (literal.startsWith('/') && isOutsideRepository(literal, root)) found(literal, 'an absolute path outside the repository');
    }
    const relative = literals.filter((l) => RELATIVE.test(l));
    if (!relative.some((l) => HAS_PARENT.test(l))) return;
    const joined = relative.join(' + ');
    if (kind === 'shell') {
      if (escapes(root, relative, root)) found(joined, 'resolves above the repository root (scripts run from the root)');
      return;
    }
    if (relative.some((l) => escapes(folder, [l], root)) || escapes(folder, relative, root)) {
      found(joined, `resolves above the repository root from ${path.dirname(file)}/`);
    } else if (ROOT_CONTEXT.test(line) && !FILE_ANCHOR.test(line) && (relative.some((l) => escapes(root, [l], root)) || escapes(root, relative, root))) {
      found(joined, 'resolves above the repository root from the root named on this line');
    }
  });
  return findings;
}

/** Findings in package.json: its scripts run from the root. */
export function scanPackageJson(text: string, root: string): Finding[] {
  const scripts = (JSON.parse(text) as { scripts?: Record<string, string> }).scripts ?? {};
  return Object.entries(scripts).flatMap(([name, command]) =>
    scanText('package.json', command, root, 'shell').map((f) => ({ ...f, why: `script ${name}: ${f.why}` })),
  );
}
