/**
 * The command line (util.parseArgs): `tern-server [options]` runs the
 * server; `tern-server user|backup|restore|config ...` are operator commands
 * (admin-commands.ts). Option flags come from the option table in config.ts,
 * so a new option is on the command line, in the environment, in the config
 * file and in --help at once.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { buildInfo } from './build-info';
import { ConfigError, describeOptions, loadConfig, unknownName, type OptionGroup, type ServerConfig } from './config';

/** Flags that are not server options. */
const commandFlags = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  config: { type: 'string' },
  password: { type: 'string' },
  nickname: { type: 'string' },
  force: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export interface CommandLine {
  /** Positional words: empty to run the server, else an operator command. */
  command: string[];
  /** Server option flags as given (flag name without dashes -> text). */
  optionFlags: Record<string, string>;
  config?: string;
  help: boolean;
  version: boolean;
  password?: string;
  nickname?: string;
  force: boolean;
}

const optionDocs = describeOptions();

/** Parses argv; usage errors throw ConfigError with a message for people. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const options: NonNullable<ParseArgsConfig['options']> = { ...commandFlags };
  for (const doc of optionDocs) options[doc.flag.slice(2)] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(e.message)?.[1] ?? String(e.message);
      throw new ConfigError(`${unknownName('option', flag, Object.keys(options).map((o) => `--${o}`))}; see --help`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = /'(--[a-z-]+)/.exec(e.message)?.[1];
      if (flag && /argument missing|ambiguous/.test(e.message)) throw new ConfigError(`${flag} needs a value (write ${flag}=VALUE for a value that starts with "-")`);
      throw new ConfigError(e.message.split('\n')[0]!);
    }
    throw err;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const optionFlags: Record<string, string> = {};
  for (const doc of optionDocs) {
    const value = values[doc.flag.slice(2)];
    if (typeof value === 'string') optionFlags[doc.flag.slice(2)] = value;
  }
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  return {
    command: parsed.positionals,
    optionFlags,
    config: text('config'),
    help: values.help === true,
    version: values.version === true,
    password: text('password'),
    nickname: text('nickname'),
    force: values.force === true,
  };
}

/** The server's configuration from the command line and the environment. */
export function configFrom(cl: CommandLine, env: NodeJS.ProcessEnv): ServerConfig {
  return loadConfig({ flags: cl.optionFlags, env, configFile: cl.config ?? (env.TERN_SERVER_CONFIG || undefined) });
}

export function versionText(): string {
  const info = buildInfo();
  return `tern-server ${info.version} (commit ${info.commit}, node ${process.versions.node})`;
}

const groupTitles: Record<OptionGroup, string> = {
  network: 'Network',
  storage: 'Storage',
  limits: 'Limits',
  security: 'Security',
  operations: 'Operations',
  cluster: 'Cluster',
};

export function helpText(): string {
  const left = (s: string) => `  ${s.padEnd(34)} `;
  const lines = [
    'Usage: tern-server [options]                   run the Tern IM server',
    '       tern-server user add NAME [--nickname N] [--password P]',
    '       tern-server user list',
    '       tern-server user disable NAME | enable NAME | passwd NAME [--password P]',
    '       tern-server backup FILE                  consistent copy of the database while the server runs',
    '       tern-server restore FILE [--force]       put a backup in place (the server must be stopped)',
    '       tern-server config check                 check the configuration and print it as JSON',
    '       tern-server config schema                JSON Schema of the config file',
    '       tern-server --version | --help',
    '',
    'From source: npm run server -- [arguments]. Serving, it prints "listening on HOST:PORT",',
    '"attachments at URL" and "server key BASE64" on stdout, and logs JSON lines on stderr. Operator commands work on an',
    'existing data directory (--data); without --password they ask for the password (no echo),',
    'or read it from TERN_PASSWORD or, when stdin is not a terminal, from its first line.',
    '',
    'Every option is also an environment variable (named below it) and a key of the JSON file given',
    'with --config FILE or TERN_SERVER_CONFIG (camelCase, e.g. {"port": 7800, "maxGroupSize": 1000}).',
    'Priority: flags, then environment, then the file, then the defaults.',
  ];
  for (const group of Object.keys(groupTitles) as OptionGroup[]) {
    lines.push('', `${groupTitles[group]}:`);
    for (const doc of optionDocs.filter((d) => d.group === group)) {
      lines.push(`${left(`${doc.flag} ${doc.arg}`)}${doc.help}`, `${left('')}default ${doc.defaultText}; ${doc.env}`);
    }
  }
  lines.push(
    '',
    'Other flags:',
    `${left('--config FILE')}JSON config file; TERN_SERVER_CONFIG`,
    `${left('--password P')}password for user add / user passwd; TERN_PASSWORD`,
    `${left('--nickname N')}nickname for user add`,
    `${left('--force')}restore over an existing database (it is kept beside, renamed)`,
    `${left('-V, --version')}print the version and exit`,
    `${left('-h, --help')}this text`,
    '',
    'Exit status: 0 done, 1 failed, 2 bad command line or configuration.',
  );
  return lines.join('\n');
}
