// The option table, its schema and every source of configuration: file, environment, flags, the programmatic API.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine, helpText } from '../../server/cli';
import { ConfigError, configJsonSchema, defaultConfig, describeOptions, envOf, loadConfig, redactConfig, resolveConfig, serverOptions } from '../../server/config';
import { removeDir, tempDir } from './helpers/server';

const dir = tempDir('tern-config-test-');
afterAll(() => removeDir(dir));
let files = 0;
function configFile(content: string): string {
  const file = join(dir, `config-${files++}.json`);
  writeFileSync(file, content);
  return file;
}

/** The problems a load reports (fails the test if it loads). */
function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config file', () => {
  it('refuses a wrong type, naming the file, the key and the value (the audit case)', () => {
    const file = configFile('{"loginFailuresPerAccount":"five"}');
    expect(problems(() => loadConfig({ configFile: file }))).toEqual([`config file ${file}: loginFailuresPerAccount: expected an integer, got "five"`]);
  });

  it('refuses unknown keys, suggesting the near one, at the top level and inside objects', () => {
    const file = configFile('{"prot": 7800, "scrypt": {"N": 1024, "r": 8, "p": 1, "x": 1}}');
    expect(problems(() => loadConfig({ configFile: file }))).toEqual([
      `config file ${file}: scrypt.x: unknown key`,
      `config file ${file}: prot: unknown key (did you mean port?)`,
    ]);
  });

  it('checks limits: integers, ranges, enums, powers of two', () => {
    const file = configFile('{"port": 70000, "maxGroupSize": 2.5, "durability": "sometimes", "logLevel": "loud", "scrypt": {"N": 1000, "r": 8, "p": 1}, "host": ""}');
    expect(problems(() => loadConfig({ configFile: file })).sort()).toEqual(
      [
        `config file ${file}: port: must be at most 65535, got 70000`,
        `config file ${file}: maxGroupSize: expected an integer, got 2.5`,
        `config file ${file}: durability: expected one of group-fsync, full, off, got "sometimes"`,
        `config file ${file}: logLevel: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"`,
        `config file ${file}: scrypt.N: must be a power of two`,
        `config file ${file}: host: must not be empty`,
      ].sort(),
    );
  });

  it('says what is wrong with the file itself', () => {
    expect(problems(() => loadConfig({ configFile: join(dir, 'missing.json') }))).toEqual([`config file ${join(dir, 'missing.json')}: does not exist`]);
    const broken = configFile('{"port": 7800,');
    expect(problems(() => loadConfig({ configFile: broken }))[0]).toMatch(new RegExp(`^config file ${broken}: not valid JSON`));
    const list = configFile('[1, 2]');
    expect(problems(() => loadConfig({ configFile: list }))).toEqual([`config file ${list}: expected a JSON object, got an array`]);
  });

  it('accepts every option with its default, and a $schema key for editors', () => {
    const file = configFile(JSON.stringify({ $schema: './tern-server.schema.json', ...defaultConfig, metricsPort: 9100 }));
    expect(loadConfig({ configFile: file })).toEqual({ ...defaultConfig, metricsPort: 9100 });
  });
});

describe('environment and flags', () => {
  it('checks TERN_SERVER_* variables like the file, refusing unknown ones', () => {
    const env = { TERN_SERVER_PORT: 'eighty', TERN_SERVER_PROT: '1', TERN_SERVER_SCRYPT: '{"N": 3}', TERN_SERVER_MAX_GROUP_SIZE: '1' };
    expect(problems(() => loadConfig({ env })).sort()).toEqual(
      [
        'TERN_SERVER_PORT: expected an integer, got "eighty"',
        'environment: unknown variable TERN_SERVER_PROT (did you mean TERN_SERVER_PORT?)',
        'TERN_SERVER_SCRYPT: N: must be a power of two',
        'TERN_SERVER_SCRYPT: r: expected an integer, got undefined',
        'TERN_SERVER_SCRYPT: p: expected an integer, got undefined',
        'TERN_SERVER_MAX_GROUP_SIZE: must be at least 2, got 1',
      ].sort(),
    );
    // Empty means unset; other programs' variables are not ours to judge.
    expect(loadConfig({ env: { TERN_SERVER_PORT: '', HOME: '/root', TERN_PASSWORD: 'x' } }).port).toBe(defaultConfig.port);
  });

  it('checks flags the same way', () => {
    const cl = parseCommandLine(['--port', '12x', '--durability', 'sometimes', '--max-frame-size=100']);
    expect(problems(() => loadConfig({ flags: cl.optionFlags })).sort()).toEqual(
      ['--port: expected an integer, got "12x"', '--durability: expected one of group-fsync, full, off, got "sometimes"', '--max-frame-size: must be at least 4096, got 100'].sort(),
    );
  });

  it('reports every problem of every source at once', () => {
    const file = configFile('{"port": "x"}');
    const cl = parseCommandLine(['--max-group-size', 'many']);
    const all = problems(() => loadConfig({ configFile: file, env: { TERN_SERVER_HOST: '' , TERN_SERVER_IDLE_TIMEOUT_MS: '5' }, flags: cl.optionFlags }));
    expect(all).toHaveLength(3);
    expect(new ConfigError(all).message).toMatch(/^3 configuration problems:\n {2}config file/);
  });

  it('priority: defaults < file < environment < flags', () => {
    const file = configFile('{"port": 1001, "host": "10.0.0.1", "maxGroupSize": 10}');
    const env = { TERN_SERVER_PORT: '1002', TERN_SERVER_HOST: '10.0.0.2' };
    const config = loadConfig({ configFile: file, env, flags: parseCommandLine(['--port', '1003']).optionFlags });
    expect(config).toMatchObject({ port: 1003, host: '10.0.0.2', maxGroupSize: 10, maxTextLength: defaultConfig.maxTextLength });
    // TERN_SERVER_CONFIG names the file when no --config is given.
    expect(loadConfig({ env: { TERN_SERVER_CONFIG: file } }).maxGroupSize).toBe(10);
    // JSON-valued options work from text too.
    expect(loadConfig({ env: { TERN_SERVER_SCRYPT: '{"N":1024,"r":8,"p":1}' } }).scrypt).toEqual({ N: 1024, r: 8, p: 1 });
  });
});

describe('sensitive options', () => {
  it('are never echoed in errors, and are redacted where the configuration is shown', () => {
    const secret = 'hunter2-do-not-print';
    const problems_ = problems(() => loadConfig({ flags: parseCommandLine(['--store', `postgres://tern:${secret}@db.example`]).optionFlags }));
    expect(problems_).toHaveLength(1);
    expect(problems_[0]).toMatch(/^--store: /);
    expect(problems_[0]).not.toContain(secret);
    const config = loadConfig({ env: { TERN_SERVER_STORE: `postgres://tern:${secret}@db.example/tern` } });
    expect(config.store).toBe(`postgres://tern:${secret}@db.example/tern`);
    expect(JSON.stringify(redactConfig(config))).not.toContain(secret);
    expect(redactConfig(config).store).toBe('postgres://tern:***@db.example/tern'); // where, without the password
    expect(redactConfig({ ...config, store: 'postgres://db.example/tern' }).store).toBe('postgres://db.example/tern');
    expect(redactConfig(defaultConfig)).toEqual(JSON.parse(JSON.stringify(defaultConfig))); // 'sqlite' is no secret
  });
});

describe('programmatic API and cross-option rules', () => {
  it('startServer partials are checked like the other sources', () => {
    expect(problems(() => resolveConfig({ port: 'x' as never }))).toEqual(['port: expected an integer, got "x"']);
    expect(problems(() => resolveConfig({ nonsense: 1 } as never))).toEqual(['nonsense: unknown key']);
    expect(problems(() => resolveConfig({ syncDefaultLimit: 500, syncMaxLimit: 100 }))).toEqual(['syncDefaultLimit (500) must not exceed syncMaxLimit (100)']);
    expect(resolveConfig({ metricsPort: undefined })).toEqual(defaultConfig);
  });
});

describe('one table, everywhere', () => {
  const docs = describeOptions();
  const serverMd = readFileSync(new URL('../../docs/SERVER.md', import.meta.url), 'utf8');

  it('every option has a flag, an environment variable, a --help line and a row in docs/SERVER.md', () => {
    expect(docs.map((d) => d.key).sort()).toEqual(Object.keys(serverOptions).sort());
    const help = helpText();
    for (const d of docs) {
      expect(parseCommandLine([d.flag, '1']).optionFlags[d.flag.slice(2)]).toBe('1');
      expect(help).toContain(`${d.flag} ${d.arg}`);
      expect(help).toContain(d.env);
      expect(serverMd, `docs/SERVER.md lacks ${d.flag}`).toContain(`\`${d.flag}\``);
      expect(serverMd, `docs/SERVER.md lacks ${d.env}`).toContain(`\`${d.env}\``);
      expect(envOf(d.key)).toBe(d.env);
    }
  });

  it("docs/SERVER.md's table gives each option its own variable and the default the code has", () => {
    const rows = new Map<string, { env: string; default: string }>();
    for (const m of serverMd.matchAll(/^\| `(--[a-z0-9-]+)` \| `([A-Z0-9_]+)` \| (.*?) \|/gm)) rows.set(m[1]!, { env: m[2]!, default: m[3]!.replaceAll('`', '') });
    expect([...rows.keys()].sort()).toEqual(docs.map((d) => d.flag).sort());
    for (const d of docs) {
      expect(rows.get(d.flag)!.env, d.flag).toBe(d.env);
      // Defaults described in words (e.g. --blob-port's "--port + 1") are prose; every plain one must match.
      if ((serverOptions[d.key as keyof typeof serverOptions] as { defaultText?: string }).defaultText === undefined) expect(rows.get(d.flag)!.default, d.flag).toBe(d.defaultText);
    }
  });

  it('the JSON Schema of the file lists every option and refuses other keys', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(schema.properties).sort()).toEqual(['$schema', ...Object.keys(serverOptions)].sort());
    expect(schema.additionalProperties).toBe(false);
  });
});
