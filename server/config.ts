/**
 * Server configuration: one typed object with defaults. `loadConfig` merges,
 * lowest priority first: defaults, a JSON config file, environment variables
 * (TERN_SERVER_*), then command-line flags. The programmatic API
 * (`startServer`) takes a partial object and fills the rest from defaults.
 */
import { readFileSync } from 'node:fs';
import type { DurabilityMode } from './storage/durability';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. 2^15 with r=8 costs 32 MiB per hash. */
  N: number;
  r: number;
  p: number;
}

export interface ServerConfig {
  host: string;
  /** 0 = any free port. */
  port: number;
  dataDir: string;
  /** Opt-in Prometheus endpoint; undefined = off. */
  metricsPort?: number;
  metricsHost: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Frame size limit, header included (also advertised in HandshakeResponse). */
  maxFrameSize: number;
  handshakeTimeoutMs: number;
  /** Connections silent for longer than this are closed with IDLE_TIMEOUT. */
  idleTimeoutMs: number;
  /** Advice sent to clients in HandshakeResponse. */
  heartbeatIntervalMs: number;
  /** How often the idle sweep runs; default idleTimeoutMs / 6. */
  idleSweepIntervalMs?: number;
  maxGroupSize: number;
  recallWindowMs: number;
  maxTextLength: number;
  syncDefaultLimit: number;
  syncMaxLimit: number;
  scrypt: ScryptParams;
  /** Failed logins tolerated per account / per address inside the window before RATE_LIMITED. */
  loginFailuresPerAccount: number;
  loginFailuresPerAddress: number;
  loginThrottleWindowMs: number;
  /** Registrations per address per window. */
  registrationsPerAddress: number;
  /** Grace period for shutdown: clients are told, then the rest is cut. */
  shutdownGraceMs: number;
  /** Requests one connection may have waiting for an answer (pipelined sends); more get RATE_LIMITED. */
  maxInFlightPerConnection: number;
  /** When a commit counts as durable (storage/durability.ts): group-fsync (default), full, off. */
  durability: DurabilityMode;
}

export const defaultConfig: ServerConfig = {
  host: '127.0.0.1',
  port: 7800,
  dataDir: './data/server',
  metricsHost: '127.0.0.1',
  logLevel: 'info',
  maxFrameSize: 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 90_000,
  heartbeatIntervalMs: 30_000,
  maxGroupSize: 500,
  recallWindowMs: 2 * 60_000,
  maxTextLength: 8000,
  syncDefaultLimit: 200,
  syncMaxLimit: 1000,
  scrypt: { N: 1 << 15, r: 8, p: 1 },
  loginFailuresPerAccount: 5,
  loginFailuresPerAddress: 20,
  loginThrottleWindowMs: 5 * 60_000,
  registrationsPerAddress: 60,
  shutdownGraceMs: 2000,
  maxInFlightPerConnection: 1024,
  durability: 'group-fsync',
};

export class ConfigError extends Error {}

/** Option table shared by flags, environment and config file (file keys are the camelCase names). */
interface OptionSpec {
  key: keyof ServerConfig;
  flag: string;
  env: string;
  kind: 'string' | 'int' | 'level' | 'durability';
  help: string;
}

export const optionSpecs: OptionSpec[] = [
  { key: 'host', flag: '--host', env: 'TERN_SERVER_HOST', kind: 'string', help: 'address to listen on (default 127.0.0.1)' },
  { key: 'port', flag: '--port', env: 'TERN_SERVER_PORT', kind: 'int', help: 'port, 0 = any free port (default 7800)' },
  { key: 'dataDir', flag: '--data', env: 'TERN_SERVER_DATA', kind: 'string', help: 'data directory (default ./data/server)' },
  { key: 'metricsPort', flag: '--metrics-port', env: 'TERN_SERVER_METRICS_PORT', kind: 'int', help: 'serve Prometheus metrics on this port (off by default)' },
  { key: 'metricsHost', flag: '--metrics-host', env: 'TERN_SERVER_METRICS_HOST', kind: 'string', help: 'metrics address (default 127.0.0.1)' },
  { key: 'logLevel', flag: '--log-level', env: 'TERN_SERVER_LOG_LEVEL', kind: 'level', help: 'fatal|error|warn|info|debug|trace|silent (default info)' },
  { key: 'maxFrameSize', flag: '--max-frame-size', env: 'TERN_SERVER_MAX_FRAME_SIZE', kind: 'int', help: 'bytes per frame, header included (default 1048576)' },
  { key: 'handshakeTimeoutMs', flag: '--handshake-timeout-ms', env: 'TERN_SERVER_HANDSHAKE_TIMEOUT_MS', kind: 'int', help: 'close connections without a handshake after this (default 10000)' },
  { key: 'idleTimeoutMs', flag: '--idle-timeout-ms', env: 'TERN_SERVER_IDLE_TIMEOUT_MS', kind: 'int', help: 'close silent connections after this (default 90000)' },
  { key: 'heartbeatIntervalMs', flag: '--heartbeat-interval-ms', env: 'TERN_SERVER_HEARTBEAT_INTERVAL_MS', kind: 'int', help: 'ping interval advised to clients (default 30000)' },
  { key: 'maxGroupSize', flag: '--max-group-size', env: 'TERN_SERVER_MAX_GROUP_SIZE', kind: 'int', help: 'members per group (default 500)' },
  { key: 'recallWindowMs', flag: '--recall-window-ms', env: 'TERN_SERVER_RECALL_WINDOW_MS', kind: 'int', help: 'senders may recall for this long (default 120000)' },
  { key: 'maxTextLength', flag: '--max-text-length', env: 'TERN_SERVER_MAX_TEXT_LENGTH', kind: 'int', help: 'characters per message (default 8000)' },
  { key: 'shutdownGraceMs', flag: '--shutdown-grace-ms', env: 'TERN_SERVER_SHUTDOWN_GRACE_MS', kind: 'int', help: 'time given to clients on shutdown (default 2000)' },
  { key: 'durability', flag: '--durability', env: 'TERN_SERVER_DURABILITY', kind: 'durability', help: 'group-fsync (default: acks wait for a batched WAL fsync), full (SQLite fsync per commit), off (no fsync; tests only)' },
];

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function parseValue(spec: OptionSpec, raw: unknown, source: string): unknown {
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw new ConfigError(`${source}: expected a non-empty string`);
      return raw;
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${source}: expected a non-negative integer, got ${String(raw)}`);
      if ((spec.key === 'port' || spec.key === 'metricsPort') && n > 65535) throw new ConfigError(`${source}: port out of range`);
      return n;
    }
    case 'level':
      if (typeof raw !== 'string' || !(levels as readonly string[]).includes(raw)) throw new ConfigError(`${source}: expected one of ${levels.join('|')}`);
      return raw;
    case 'durability':
      if (raw !== 'group-fsync' && raw !== 'full' && raw !== 'off') throw new ConfigError(`${source}: expected group-fsync, full or off`);
      return raw;
  }
}

/** Fills a partial config from defaults and checks invariants. */
export function resolveConfig(partial: Partial<ServerConfig> = {}): ServerConfig {
  const config: ServerConfig = { ...defaultConfig, ...partial, scrypt: { ...defaultConfig.scrypt, ...partial.scrypt } };
  const { N, r, p } = config.scrypt;
  if (!Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0) throw new ConfigError('scrypt.N must be a power of two');
  if (!Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1) throw new ConfigError('scrypt.r and scrypt.p must be positive integers');
  if (config.maxFrameSize < 4096 || config.maxFrameSize > 16 * 1024 * 1024) throw new ConfigError('maxFrameSize must be between 4096 and 16 MiB');
  if (config.idleTimeoutMs < 1000) throw new ConfigError('idleTimeoutMs must be at least 1000');
  if (config.maxGroupSize < 2) throw new ConfigError('maxGroupSize must be at least 2');
  if (config.syncMaxLimit < 1 || config.syncDefaultLimit < 1 || config.syncDefaultLimit > config.syncMaxLimit) {
    throw new ConfigError('sync limits must satisfy 1 <= syncDefaultLimit <= syncMaxLimit');
  }
  return config;
}

export interface ConfigSources {
  /** Flags already split into name -> raw value. */
  flags: Map<string, string>;
  env: NodeJS.ProcessEnv;
  configFile?: string;
}

/** Merges config file, environment and flags (in that order of priority, flags win). */
export function loadConfig(sources: ConfigSources): ServerConfig {
  const partial: Record<string, unknown> = {};
  const file = sources.configFile ?? sources.flags.get('--config') ?? sources.env.TERN_SERVER_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`config file ${file}: expected a JSON object`);
    for (const [key, value] of Object.entries(parsed)) {
      const spec = optionSpecs.find((s) => s.key === key);
      if (spec) partial[key] = parseValue(spec, value, `${file}: ${key}`);
      else if (key === 'scrypt') partial.scrypt = value;
      else if (key in defaultConfig) partial[key] = value;
      else throw new ConfigError(`config file ${file}: unknown key ${key}`);
    }
  }
  for (const spec of optionSpecs) {
    const raw = sources.env[spec.env];
    if (raw !== undefined && raw !== '') partial[spec.key] = parseValue(spec, raw, spec.env);
  }
  for (const spec of optionSpecs) {
    const raw = sources.flags.get(spec.flag);
    if (raw !== undefined) partial[spec.key] = parseValue(spec, raw, spec.flag);
  }
  return resolveConfig(partial as Partial<ServerConfig>);
}
