/**
 * The `tern-server` command (from source: `npm run server --`; compiled:
 * `node out/server/main.js`). Runs the server, or an operator command
 * (admin-commands.ts), or prints --help / --version.
 *
 * Serving, stdout carries exactly three lines, the key last (a launcher may
 * take it as "ready"):
 *   listening on HOST:PORT
 *   attachments at URL      (the blob service, as clients are told it)
 *   server key BASE64
 * and stderr only JSON log lines (pino), fatal start-up errors included.
 * Operator commands print their results on stdout and errors as plain text
 * on stderr. Exit status: 0 done, 1 failed, 2 bad command line or config.
 */
import pino from 'pino';
import { checkCommandFlags, runOperatorCommand } from './admin-commands';
import { buildInfo } from './build-info';
import { configFrom, helpText, parseCommandLine, versionText, type CommandLine } from './cli';
import { ConfigError, redactConfig } from './config';
import { DataDirLockedError } from './datadir';
import { createLogger, routeProcessEvents } from './log';
import { startServer } from './server';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function print(line: string): void {
  process.stdout.write(line + '\n');
}

/** A fatal error while serving: one JSON line on stderr (the logger may not exist yet). */
function fatal(err: unknown): void {
  const log = pino({ base: { svc: 'tern-server' } }, pino.destination({ fd: 2, sync: true }));
  if (err instanceof ConfigError) log.fatal({ problems: err.problems }, `invalid configuration: ${err.message}`);
  else if (err instanceof DataDirLockedError) log.fatal({ dataDir: err.dir, pid: err.pid }, err.message);
  else log.fatal({ err }, `cannot start: ${err instanceof Error ? err.message : String(err)}`);
}

async function serve(cl: CommandLine): Promise<number> {
  checkCommandFlags(cl);
  const config = configFrom(cl, process.env);
  const logger = createLogger(config.logLevel);
  routeProcessEvents(logger);
  const info = buildInfo();
  logger.info({ version: info.version, commit: info.commit, node: process.versions.node, config: redactConfig(config) }, 'starting');
  const server = await startServer(config, { logger });
  print(`listening on ${server.host}:${server.port}`);
  print(`attachments at ${server.blobUrl}`);
  print(`server key ${server.publicKeyBase64}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info({ signal }, 'stopping');
      // A second signal while stopping forces the exit.
      const force = () => {
        logger.warn('second signal: exiting at once');
        logger.flush();
        process.exit(EXIT_FAILED);
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      server.close().then(resolve, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  logger.flush();
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let cl: CommandLine;
  try {
    cl = parseCommandLine(argv);
  } catch (err) {
    // A command line that cannot be read: serving or not is unknown, so one JSON line (parseable, and readable).
    if (!(err instanceof ConfigError)) throw err;
    fatal(err);
    return EXIT_USAGE;
  }
  if (cl.help) {
    print(helpText());
    return 0;
  }
  if (cl.version) {
    print(versionText());
    return 0;
  }
  if (cl.command.length === 0) {
    try {
      return await serve(cl);
    } catch (err) {
      fatal(err);
      return err instanceof ConfigError ? EXIT_USAGE : EXIT_FAILED;
    }
  }
  return runOperatorCommand(cl, process.env, {
    out: print,
    err: (line) => process.stderr.write(line + '\n'),
    prompt: { input: process.stdin, output: process.stderr },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Leave even if a handle lingers (pino's stream has been flushed).
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    fatal(err);
    process.exit(EXIT_FAILED);
  },
);
