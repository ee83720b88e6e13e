/** Runs the server as a child process (node + the tsx loader), as an operator would. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { serverArgs, spawnServer, spawnServerCommand, type ServerProcess } from '../../../scripts/lib/server-process';
import { removeDir, tempDir, testScrypt } from './server';

export { serverArgs, spawnServer, spawnServerCommand, type ServerProcess };

const root = new URL('../../../', import.meta.url).pathname;

/** A server process for one test file: a fresh data directory, cheap scrypt, warnings only; `stop()` ends it and removes its files. */
export async function startServerProcess(): Promise<ServerProcess & { stop(): Promise<void> }> {
  const data = tempDir();
  const configFile = `${data}.json`;
  writeFileSync(configFile, JSON.stringify({ scrypt: testScrypt, logLevel: 'warn' }));
  const server = await spawnServer(['--port', '0', '--data', data, '--config', configFile]);
  return {
    ...server,
    stop: async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      removeDir(data);
      removeDir(configFile);
    },
  };
}

/** Runs the CLI to completion (admin commands, refused starts); `input` is written to its stdin (default: none, stdin is /dev/null). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, serverArgs(args), { cwd: root, env: { ...process.env, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (input !== undefined) child.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}
