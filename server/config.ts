/**
 * Server configuration: one table of options (`serverOptions` below) from
 * which everything else is derived: the `ServerConfig` type, the defaults,
 * the JSON config file's schema, the command-line flags (util.parseArgs),
 * the environment variables and `--help`.
 *
 * Adding an option is one entry in the table: a zod schema (the type and its
 * limits), a default (or `optional`), a help line and a group. Its flag is the
 * key in kebab-case (`maxGroupSize` -> `--max-group-size`) and its environment
 * variable TERN_SERVER_ + the key in SNAKE_CASE, unless the entry names them.
 *
 * Sources, lowest priority first: defaults, the JSON file (`--config FILE` or
 * TERN_SERVER_CONFIG), environment variables, flags. Every source is checked
 * against the same schema; unknown keys, unknown TERN_SERVER_* variables and
 * wrong types are refused with a message naming the source and the key. The
 * programmatic API (`startServer`) checks its partial object the same way.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BusConfigError, parseBusUrl } from './cluster/bus-url';
import type { DurabilityMode } from './storage/durability';

/** Sections of `--help` and docs/SERVER.md. */
export type OptionGroup = 'network' | 'storage' | 'limits' | 'security' | 'operations' | 'cluster';

/** How a value is written where only text exists (flags, environment). */
type TextForm = 'text' | 'integer' | 'json';

interface OptionSpec<T, HasDefault extends boolean> {
  schema: z.ZodType<T>;
  /** true: has a default; false: undefined (off) unless given. */
  required: HasDefault;
  /** Absent for optional options (undefined = off). */
  default: HasDefault extends true ? T : undefined;
  help: string;
  group: OptionGroup;
  text: TextForm;
  /** Flag name without `--`; default: the key in kebab-case. */
  flag?: string;
  /** Environment variable; default: TERN_SERVER_ + the key in SNAKE_CASE. */
  env?: string;
  /** Placeholder in --help, e.g. MS, URL. */
  arg?: string;
  /** Never echoed in errors or logs (URLs with passwords, keys). */
  sensitive?: boolean;
  /** --help's words for the default when it is not a plain value. */
  defaultText?: string;
}

type Extra = Pick<OptionSpec<unknown, boolean>, 'flag' | 'env' | 'arg' | 'sensitive' | 'defaultText'>;

function formOf(schema: z.ZodType): TextForm {
  const type = (schema as { def?: { type?: string } }).def?.type;
  return type === 'number' ? 'integer' : type === 'string' || type === 'enum' ? 'text' : 'json';
}

/** An option with a default. */
function option<T>(schema: z.ZodType<T>, defaultValue: T, group: OptionGroup, help: string, extra: Extra = {}): OptionSpec<T, true> {
  return { schema, required: true, default: defaultValue, group, help, text: formOf(schema), ...extra };
}

/** An option that is off (undefined) unless given. */
function optional<T>(schema: z.ZodType<T>, group: OptionGroup, help: string, extra: Extra = {}): OptionSpec<T, false> {
  return { schema, required: false, default: undefined, group, help, text: formOf(schema), ...extra };
}

const count = (min = 0, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const ms = (min = 0) => count(min, 365 * 24 * 3600_000);
const port = count(0, 65535);
const nonEmpty = z.string().min(1);
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const durabilityModes = ['group-fsync', 'full', 'off'] as const satisfies readonly DurabilityMode[];
const scryptSchema = z.strictObject({
  /** CPU/memory cost, a power of two. 2^15 with r=8 costs 32 MiB per hash. */
  N: count(2, 2 ** 24).refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
  r: count(1, 64),
  p: count(1, 16),
});
export type ScryptParams = z.output<typeof scryptSchema>;
/** A NATS URL list as parseBusUrl takes it; the message never repeats the URL (it may hold a password). */
const busUrl = nonEmpty.superRefine((value, ctx) => {
  try {
    parseBusUrl(value);
  } catch (err) {
    if (!(err instanceof BusConfigError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});
const s3Schema = z.strictObject({
  /** e.g. http://127.0.0.1:9000; omitted for AWS itself. */
  endpoint: z.string().min(1).optional(),
  region: nonEmpty.default('us-east-1'),
  bucket: nonEmpty,
  /** Key prefix, e.g. "tern/blobs/". */
  prefix: z.string().default(''),
  accessKeyId: nonEmpty,
  secretAccessKey: nonEmpty,
  /** Bucket in the path rather than the host name: what most self-hosted servers need. */
  forcePathStyle: z.boolean().default(true),
});
export type S3Config = z.output<typeof s3Schema>;

/** `sqlite`, or a URL the PostgreSQL driver accepts, naming a database. */
export function isStore(value: string): boolean {
  if (value === 'sqlite') return true;
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.pathname.length > 1;
  } catch {
    return false;
  }
}
const storeSchema = z.string().refine(isStore, 'expected sqlite or a postgres:// URL with a database name');

/** Every server option. See the header comment for how to add one. */
export const serverOptions = {
  // network
  host: option(nonEmpty, '127.0.0.1', 'network', 'address to listen on', { arg: 'ADDR' }),
  port: option(port, 7800, 'network', 'TCP port; 0 = any free port', { arg: 'N' }),
  maxFrameSize: option(count(4096, 16 * 1024 * 1024), 1024 * 1024, 'network', 'bytes per frame, header included (also told to clients)', { arg: 'BYTES' }),
  handshakeTimeoutMs: option(ms(100), 10_000, 'network', 'close connections that have not finished the handshake after this', { arg: 'MS' }),
  idleTimeoutMs: option(ms(1000), 90_000, 'network', 'close connections silent (or not reading) for longer than this', { arg: 'MS' }),
  idleSweepIntervalMs: optional(ms(10), 'network', 'how often idle connections are looked for', { arg: 'MS', defaultText: 'idle timeout / 6' }),
  heartbeatIntervalMs: option(ms(1000), 30_000, 'network', 'ping interval advised to clients in the handshake', { arg: 'MS' }),
  blobHost: option(nonEmpty, '127.0.0.1', 'network', 'address of the attachment (blob) HTTP service', { arg: 'ADDR' }),
  blobPort: optional(port, 'network', 'port of the blob HTTP service; 0 = any free port', { arg: 'N', defaultText: '--port + 1 (any free port with --port 0)' }),
  blobPublicUrl: optional(z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'), 'network', 'the blob service URL told to clients (behind a proxy or CDN)', { arg: 'URL', defaultText: 'http://ADDR:PORT' }),
  shutdownGraceMs: option(ms(), 2000, 'network', 'time clients get to leave on shutdown before they are cut', { arg: 'MS' }),
  // storage
  dataDir: option(nonEmpty, './data/server', 'storage', 'data directory (server key, lock, SQLite database)', { flag: 'data', env: 'TERN_SERVER_DATA', arg: 'DIR' }),
  durability: option(z.enum(durabilityModes), 'group-fsync', 'storage', 'SQLite: when an ack is sent: group-fsync (after a batched WAL fsync), full (SQLite fsync per commit), off (no fsync; tests only)', { arg: 'MODE' }),
  store: option(storeSchema, 'sqlite', 'storage', 'sqlite (tern.db in the data directory) or a PostgreSQL URL, postgres://USER:PASSWORD@HOST:PORT/DB, for several servers sharing one database', { arg: 'STORE', sensitive: true }),
  postgresPoolSize: option(count(1, 1000), 10, 'storage', 'connections each server keeps to PostgreSQL', { arg: 'N' }),
  sqliteThread: option(z.enum(['worker', 'main']), 'worker', 'storage', 'SQLite: worker (its own thread: the event loop only does network, crypto and protocol) or main (on the event loop; for comparison)', { arg: 'THREAD' }),
  blobStorage: option(z.enum(['local', 's3']), 'local', 'storage', 'where attachments are kept: local (DATA/blobs) or s3 (see --s3)', { arg: 'KIND' }),
  s3: optional(s3Schema, 'storage', 'S3-compatible storage for attachments: {"endpoint","region","bucket","prefix","accessKeyId","secretAccessKey","forcePathStyle"}', { arg: 'JSON', sensitive: true }),
  blobUnreferencedGraceMs: option(ms(1000), 24 * 3600_000, 'storage', 'unfinished uploads and attachments no message carries are removed this long after upload', { arg: 'MS' }),
  blobRetentionMs: option(ms(), 0, 'storage', 'remove attachments whose newest message is older than this; 0 = keep for ever', { arg: 'MS' }),
  blobSweepIntervalMs: option(ms(1000), 3600_000, 'storage', 'how often attachment cleanup runs', { arg: 'MS' }),
  // limits
  maxGroupSize: option(count(2), 500, 'limits', 'members per group', { arg: 'N' }),
  recallWindowMs: option(ms(), 2 * 60_000, 'limits', 'senders may recall a message for this long', { arg: 'MS' }),
  editWindowMs: option(ms(), 48 * 3600_000, 'limits', 'senders may edit a message for this long', { arg: 'MS' }),
  maxTextLength: option(count(1), 8000, 'limits', 'characters per message', { arg: 'N' }),
  syncDefaultLimit: option(count(1), 200, 'limits', 'events per SYNC page when the client gives no limit', { arg: 'N' }),
  syncMaxLimit: option(count(1), 1000, 'limits', 'largest SYNC page (larger limits are clamped)', { arg: 'N' }),
  maxAttachmentBytes: option(count(), 100 * 1024 * 1024, 'limits', 'largest attachment in bytes (told to clients at login); 0 turns attachments off', { arg: 'BYTES' }),
  maxAttachmentsPerMessage: option(count(1, 100), 10, 'limits', 'attachments one message may carry', { arg: 'N' }),
  blobQuotaBytes: option(count(), 10 * 1024 * 1024 * 1024, 'limits', 'attachment ciphertext one user may keep stored', { arg: 'BYTES' }),
  blobTransfersPerUser: option(count(1), 4, 'limits', 'uploads and downloads one user may run at once; more get HTTP 429', { arg: 'N' }),
  maxInFlightPerConnection: option(count(1), 1024, 'limits', 'requests one connection may have awaiting an answer; more get RATE_LIMITED', { arg: 'N' }),
  // security
  scrypt: option(scryptSchema, { N: 1 << 15, r: 8, p: 1 }, 'security', 'password hash cost (scrypt; the default costs 32 MiB and ~100 ms per hash)', { arg: 'JSON' }),
  // abuse limits (server/limits; PROTOCOL.md §11.1)
  sendBurst: option(count(1), 50, 'security', 'messages one account (all its devices) may send at once before RATE_LIMITED', { arg: 'N' }),
  sendPerMinute: option(count(1), 600, 'security', 'messages per minute one account may send once its burst is spent', { arg: 'N' }),
  loginFreeFailures: option(count(0), 3, 'security', 'wrong passwords per (account, client address) before each attempt must wait', { arg: 'N' }),
  loginBackoffBaseMs: option(ms(1), 1000, 'security', 'the first such wait; it doubles with every further wrong password', { arg: 'MS' }),
  loginBackoffMaxMs: option(ms(1), 5 * 60_000, 'security', 'the longest such wait', { arg: 'MS' }),
  loginFailuresPerAccount: option(count(1), 100, 'security', 'wrong passwords per account (from all addresses) in the window before its password logins wait', { arg: 'N' }),
  loginFailuresPerAddress: option(count(1), 50, 'security', 'wrong passwords per client address (all accounts) in the window', { arg: 'N' }),
  loginThrottleWindowMs: option(ms(1000), 15 * 60_000, 'security', 'window of the login ceilings and the registration limit', { arg: 'MS' }),
  blobTokenTtlMs: option(ms(10_000), 10 * 60_000, 'security', 'lifetime of the attachment transfer tokens issued over the protocol', { arg: 'MS' }),
  blobTokenSecret: optional(z.string().regex(/^[A-Za-z0-9+/]{43,}={0,2}$/, 'must be base64 of at least 32 bytes'), 'security', 'secret of the transfer tokens (base64), the same on every node of a cluster', { arg: 'BASE64', sensitive: true, defaultText: 'generated in DATA/blob-token.key' }),
  registrationsPerAddress: option(count(1), 60, 'security', 'registrations per client address per window', { arg: 'N' }),
  // operations
  logLevel: option(z.enum(logLevels), 'info', 'operations', logLevels.join('|'), { arg: 'LEVEL' }),
  metricsPort: optional(port, 'operations', 'serve /metrics, /healthz and /readyz on this port (0 = any free port)', { arg: 'N' }),
  metricsHost: option(nonEmpty, '127.0.0.1', 'operations', 'address of the metrics and health endpoint', { arg: 'ADDR' }),
  // cluster
  bus: optional(busUrl, 'cluster', 'NATS URL of the bus between nodes (several comma-separated); off: this process is the only node', { arg: 'URL', sensitive: true }),
  nodeTtlMs: option(ms(1000), 15_000, 'cluster', 'a node whose heartbeat in the session directory is older than this is taken for dead, and its users for offline', { arg: 'MS' }),
} satisfies Record<string, OptionSpec<unknown, boolean>>;

type Options = typeof serverOptions;
export type OptionKey = keyof Options;
type ValueOf<O> = O extends OptionSpec<infer T, boolean> ? T : never;
type Simplify<T> = { [K in keyof T]: T[K] };

/** The server's configuration: every option, defaults filled in. */
export type ServerConfig = Simplify<
  { -readonly [K in OptionKey as Options[K]['required'] extends true ? K : never]: ValueOf<Options[K]> } & {
    -readonly [K in OptionKey as Options[K]['required'] extends true ? never : K]?: ValueOf<Options[K]>;
  }
>;

const optionKeys = Object.keys(serverOptions) as OptionKey[];
const spec = (key: OptionKey): OptionSpec<unknown, boolean> => serverOptions[key];

export const defaultConfig: ServerConfig = Object.fromEntries(
  optionKeys.filter((k) => spec(k).default !== undefined).map((k) => [k, spec(k).default]),
) as ServerConfig;

/** Checks that involve more than one option. */
const crossChecks: Array<(c: ServerConfig) => string | undefined> = [
  (c) => (c.loginBackoffBaseMs > c.loginBackoffMaxMs ? `loginBackoffBaseMs (${c.loginBackoffBaseMs}) must not exceed loginBackoffMaxMs (${c.loginBackoffMaxMs})` : undefined),
  (c) => (c.syncDefaultLimit > c.syncMaxLimit ? `syncDefaultLimit (${c.syncDefaultLimit}) must not exceed syncMaxLimit (${c.syncMaxLimit})` : undefined),
  (c) => (c.metricsPort !== undefined && c.metricsPort !== 0 && c.metricsPort === c.port && c.metricsHost === c.host ? 'metricsPort must differ from port' : undefined),
  (c) => (blobPortOf(c) !== 0 && blobPortOf(c) === c.port ? 'blobPort must differ from port' : undefined),
  (c) => (blobPortOf(c) > 65535 ? 'blobPort (port + 1) is out of range: set blobPort' : undefined),
  (c) => (c.blobStorage === 's3' && !c.s3 ? 'blobStorage s3 needs the s3 option (bucket and credentials)' : undefined),
  // Nodes on a bus must share one database: with a store each, user 5 of one would get user 5's pushes of another.
  (c) => (c.bus !== undefined && c.store === 'sqlite' ? 'bus needs a shared store: every node on a bus must use the same PostgreSQL (--store postgres://…)' : undefined),
];

/** A configuration that cannot be used. `problems` has one line per fault. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.length === 1 ? list[0]! : `${list.length} configuration problems:\n  ${list.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = list;
  }
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const flagOf = (key: OptionKey): string => spec(key).flag ?? kebab(key);
export const envOf = (key: OptionKey): string => spec(key).env ?? `TERN_SERVER_${kebab(key).replaceAll('-', '_').toUpperCase()}`;

/** TERN_SERVER_* variables that are not options but are known. */
const otherServerEnv = new Set(['TERN_SERVER_CONFIG']);

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** " (did you mean Y?)" when a known name is close to `name`, else "". */
function suggestion(name: string, known: readonly string[]): string {
  const best = known.map((k) => [k, editDistance(name, k)] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean ${best[0]}?)` : '';
}

/** "unknown KIND NAME (did you mean Y?)" */
export function unknownName(kind: string, name: string, known: readonly string[]): string {
  return `unknown ${kind} ${name}${suggestion(name, known)}`;
}

const expectedNames: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a list',
};

/** z.number().int(): zod reports a string given to it as "expected number"; say integer. */
function isIntegerSchema(schema: unknown): boolean {
  const checks = (schema as { _zod?: { def?: { checks?: Array<{ _zod?: { def?: { format?: string } } }> } } } | undefined)?._zod?.def?.checks ?? [];
  return checks.some((c) => /int/.test(c._zod?.def?.format ?? ''));
}

/** Zod issues as one line each: "WHERE: what is wrong". */
function describeIssue(issue: z.core.$ZodRawIssue, sensitive: boolean): string {
  const got = sensitive ? '' : `, got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${expectedNames[issue.expected === 'number' && isIntegerSchema(issue.inst) ? 'int' : issue.expected] ?? issue.expected}${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}${got}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : `must be at least ${String(issue.minimum)}${got}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${got}`;
    case 'invalid_format':
      return `has the wrong format${got}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}${got}`;
    case 'custom':
      return `${issue.message ?? 'is invalid'}${got}`;
    default:
      return issue.message ?? 'is invalid';
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown, where: (path: PropertyKey[]) => string, sensitive = false): { ok: true; value: T } | { ok: false; problems: string[] } {
  const result = schema.safeParse(value, { error: (issue) => describeIssue(issue, sensitive) });
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [`${where(issue.path)}: ${issue.message}`];
    const known = issue.path.length === 0 ? optionKeys : [];
    return issue.keys.map((k) => `${where([...issue.path, k])}: unknown key${suggestion(k, known)}`);
  });
  return { ok: false, problems };
}

/** Turns the text of a flag or environment variable into the option's value, then checks it. */
function fromText(key: OptionKey, raw: string, where: string): { ok: true; value: unknown } | { ok: false; problems: string[] } {
  const s = spec(key);
  let value: unknown = raw;
  if (s.text === 'integer') {
    if (!/^-?\d+$/.test(raw.trim())) return { ok: false, problems: [`${where}: expected an integer${s.sensitive ? '' : `, got ${describeValue(raw)}`}`] };
    value = Number(raw.trim());
  } else if (s.text === 'json') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, problems: [`${where}: expected JSON${s.sensitive ? '' : `, got ${describeValue(raw)}`}`] };
    }
  }
  return validate(s.schema, value, (path) => [where, ...path.map(String)].join(': '), s.sensitive);
}

const fileSchema = z.strictObject({
  $schema: z.string().optional(),
  ...Object.fromEntries(optionKeys.map((k) => [k, spec(k).schema.optional()])),
});

const fullSchema = z.strictObject(Object.fromEntries(optionKeys.map((k) => [k, spec(k).default === undefined ? spec(k).schema.optional() : spec(k).schema])));

/** Fills a partial config from defaults and checks it whole (types, limits, cross-option rules). */
export function resolveConfig(partial: Partial<ServerConfig> = {}): ServerConfig {
  const merged: Record<string, unknown> = { ...defaultConfig };
  for (const [key, value] of Object.entries(partial)) if (value !== undefined) merged[key] = value;
  const checked = validate(fullSchema, merged, (path) => path.map(String).join('.') || 'config');
  if (!checked.ok) throw new ConfigError(checked.problems);
  const config = checked.value as ServerConfig;
  const cross = crossChecks.map((check) => check(config)).filter((p): p is string => p !== undefined);
  if (cross.length > 0) throw new ConfigError(cross);
  return config;
}

/** Reads and checks a JSON config file. */
export function readConfigFile(file: string): Partial<ServerConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`config file ${file}: ${code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file}: not valid JSON (${(err as Error).message})`);
  }
  const checked = validate(fileSchema, parsed, (path) => (path.length === 0 ? `config file ${file}` : `config file ${file}: ${path.map(String).join('.')}`));
  if (!checked.ok) throw new ConfigError(checked.problems);
  const { $schema: _ignored, ...rest } = checked.value as Record<string, unknown>;
  return rest as Partial<ServerConfig>;
}

export interface ConfigSources {
  /** Option flags as util.parseArgs returns them: flag name (no dashes) -> text. */
  flags?: Readonly<Record<string, string | undefined>>;
  env?: NodeJS.ProcessEnv;
  /** A JSON config file; default: TERN_SERVER_CONFIG. */
  configFile?: string;
}

/** Merges defaults, the config file, TERN_SERVER_* variables and flags (flags win), reporting every problem at once. */
export function loadConfig(sources: ConfigSources): ServerConfig {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const problems: string[] = [];
  let partial: Record<string, unknown> = {};
  const file = sources.configFile ?? (env.TERN_SERVER_CONFIG || undefined);
  if (file !== undefined) {
    try {
      partial = { ...readConfigFile(file) };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  const envNames = new Map(optionKeys.map((k) => [envOf(k), k]));
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('TERN_SERVER_') || otherServerEnv.has(name)) continue;
    const key = envNames.get(name);
    if (key === undefined) problems.push(`environment: ${unknownName('variable', name, [...envNames.keys()])}`);
    else if (raw !== undefined && raw !== '') {
      const parsed = fromText(key, raw, name);
      if (parsed.ok) partial[key] = parsed.value;
      else problems.push(...parsed.problems);
    }
  }
  for (const key of optionKeys) {
    const raw = flags[flagOf(key)];
    if (raw === undefined) continue;
    const parsed = fromText(key, raw, `--${flagOf(key)}`);
    if (parsed.ok) partial[key] = parsed.value;
    else problems.push(...parsed.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return resolveConfig(partial as Partial<ServerConfig>);
}

/** The config as it may be shown or logged: sensitive values replaced. */
export function redactConfig(config: ServerConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, spec(k as OptionKey).sensitive ? redactValue(v, spec(k as OptionKey).default) : v]));
}

/** A sensitive value as it may be shown: a URL without its password, the default as is, anything else hidden. */
function redactValue(value: unknown, defaultValue: unknown): unknown {
  if (value === undefined || value === defaultValue) return value;
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.password !== '') {
        url.password = '***';
        return url.toString();
      }
      if (url.username === '') return value; // no credentials in it
    } catch {
      // Not a URL.
    }
  }
  return '[redacted]';
}

/** One row per option, for --help and the docs. */
export interface OptionDoc {
  key: OptionKey;
  flag: string;
  env: string;
  arg: string;
  group: OptionGroup;
  help: string;
  defaultText: string;
}

export function describeOptions(): OptionDoc[] {
  return optionKeys.map((key) => {
    const s = spec(key);
    return {
      key,
      flag: `--${flagOf(key)}`,
      env: envOf(key),
      arg: s.arg ?? 'VALUE',
      group: s.group,
      help: s.help,
      defaultText: s.defaultText ?? (s.default === undefined ? 'off' : typeof s.default === 'object' ? JSON.stringify(s.default) : String(s.default)),
    };
  });
}

/** JSON Schema of the config file (for editors: put its path in "$schema"). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(fileSchema, { unrepresentable: 'any' });
}

/** The blob service's port: as configured, else the protocol port + 1 (any free port when the server takes any free port). */
export function blobPortOf(config: Pick<ServerConfig, 'port' | 'blobPort'>): number {
  return config.blobPort ?? (config.port === 0 ? 0 : config.port + 1);
}
