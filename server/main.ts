/**
 * `npm run server`: runs the server, or an operator command (see cli.ts).
 * stdout carries exactly two lines when serving:
 *   listening on HOST:PORT
 *   server key BASE64
 */
import { configFrom, helpText, parseArgs, runAdmin } from './cli';
import { ConfigError } from './config';
import { DataDirLockedError } from './datadir';
import { startServer } from './server';

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  const config = configFrom(args, process.env);
  if (args.positionals.length > 0) return runAdmin(args, config, (line) => process.stdout.write(line + '\n'), process.env);

  const server = await startServer(config);
  process.stdout.write(`listening on ${server.host}:${server.port}\nserver key ${server.publicKeyBase64}\n`);
  if (server.metricsPort !== undefined) process.stderr.write(`metrics on http://${config.metricsHost}:${server.metricsPort}/metrics\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second signal while stopping forces the exit.
      process.once('SIGINT', () => process.exit(1));
      process.once('SIGTERM', () => process.exit(1));
      server.close().then(resolve, (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Give pino's async stderr stream a moment, then leave even if a handle lingers.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof DataDirLockedError) {
      process.stderr.write(`tern-server: ${err.message}\n`);
    } else {
      process.stderr.write(`tern-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  },
);
