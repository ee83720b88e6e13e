/**
 * Runs the server CLI on a pseudo-terminal (util-linux `script`), so a test
 * can type at a prompt as a person would and read back exactly what the
 * terminal showed (a pty echoes typed text unless the program turns echo off).
 */
import { spawn } from 'node:child_process';
import { serverArgs } from './process';

const root = new URL('../../../', import.meta.url).pathname;

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export interface TerminalStep {
  /** Wait until the terminal has shown this... */
  waitFor: string;
  /** ...then type this (use \r for Enter, \u0003 for Ctrl+C). */
  type: string;
}

export interface TerminalRun {
  code: number;
  /** Everything the terminal showed. */
  screen: string;
}

/** Runs `command` (argv) on a pty, typing each step's text once its prompt has appeared. */
export function runOnTerminal(command: string[], steps: TerminalStep[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<TerminalRun> {
  const child = spawn('script', ['-qfec', command.map(quote).join(' '), '/dev/null'], { cwd: root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let next = 0;
  let searchFrom = 0; // a prompt shown twice (a repeat) must be seen twice
  const advance = () => {
    while (next < steps.length) {
      const at = screen.indexOf(steps[next]!.waitFor, searchFrom);
      if (at < 0) return;
      searchFrom = at + steps[next]!.waitFor.length;
      child.stdin.write(steps[next]!.type);
      next += 1;
    }
  };
  const output = (chunk: Buffer) => {
    screen += chunk.toString();
    advance();
  };
  child.stdout.on('data', output);
  child.stderr.on('data', output);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`terminal run timed out at step ${next}; screen so far:\n${screen}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code: code ?? -1, screen });
    });
  });
}

/** The server CLI as `runOnTerminal` runs it. */
export function serverCommand(args: string[]): string[] {
  return [process.execPath, ...serverArgs(args)];
}
