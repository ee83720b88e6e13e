/**
 * "Export debug log": one text file a user can attach to a bug report. It
 * holds what helps (versions, platform, the shape of the settings, connection
 * and update state, the recent log) and nothing private: the log never holds
 * message text or keys in the first place, and every line is scrubbed again
 * here (fields whose name suggests text, secrets or keys are replaced), so an
 * old log or a careless log call cannot leak through an export.
 */

/** Field names whose values never leave the machine. */
const SENSITIVE = /(text|body|content|preview|draft|caption|password|passwd|secret|token|cookie|auth|key|sig|nickname|signature|avatar)/i;
const MAX_VALUE = 300;

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
  if (Array.isArray(value)) return depth > 4 ? '[…]' : value.slice(0, 20).map((v) => scrubValue(v, depth + 1));
  if (value && typeof value === 'object') {
    if (depth > 4) return '{…}';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SENSITIVE.test(k) ? '[redacted]' : scrubValue(v, depth + 1);
    return out;
  }
  return value;
}

/** One log line (pino JSON) with sensitive fields replaced; null for a line that is not JSON (left out). */
export function scrubLogLine(line: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  return JSON.stringify(scrubValue(parsed, 0));
}

export interface DebugReportInput {
  /** Facts for the header: versions, platform, settings shape, states. */
  facts: Record<string, string | number | boolean | null | undefined>;
  /** Log file contents, oldest first. */
  logs: readonly string[];
  /** Keep at most this many of the newest lines. */
  maxLines?: number;
  now?: Date;
}

export function buildDebugReport(input: DebugReportInput): string {
  const lines = input.logs.flatMap((text) => text.split('\n')).filter((l) => l.trim() !== '');
  const kept: string[] = [];
  let skipped = 0;
  for (const line of lines) {
    const clean = scrubLogLine(line);
    if (clean === null) skipped++;
    else kept.push(clean);
  }
  const max = input.maxLines ?? 20_000;
  const tail = kept.slice(-max);
  const header = [
    '# Tern debug log',
    `# exported ${(input.now ?? new Date()).toISOString()}`,
    '# Contains no message text, passwords, tokens or keys. Fields that could hold them read [redacted].',
    ...Object.entries(input.facts)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `# ${k}: ${String(v)}`),
    `# log lines: ${tail.length}${kept.length > tail.length ? ` (the newest; ${kept.length - tail.length} older left out)` : ''}${skipped ? `, ${skipped} unreadable lines left out` : ''}`,
    '',
  ];
  return `${header.join('\n')}${tail.join('\n')}\n`;
}
