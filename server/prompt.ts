/**
 * Reading a password for the admin CLI: at a terminal, a prompt with echo
 * off (raw mode: nothing typed is shown, Backspace edits, Ctrl+C aborts);
 * from a pipe, the first line of stdin (`printf '%s\n' "$PW" | tern-server
 * user add alice`).
 */
import type { Readable, Writable } from 'node:stream';

export interface PromptIO {
  input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Where the prompt is written (stderr: stdout carries the command's result). */
  output: Writable;
}

export class PromptAborted extends Error {
  constructor() {
    super('aborted');
    this.name = 'PromptAborted';
  }
}

/** Reads one line from a terminal without echoing it. */
function readHidden(io: PromptIO, prompt: string): Promise<string> {
  const { input, output } = io;
  return new Promise((resolve, reject) => {
    let value = '';
    // Echo off before the prompt shows: anything typed after it must not appear.
    input.setRawMode!(true);
    output.write(prompt);
    input.setEncoding('utf8');
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.setRawMode!(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onEnd = () => finish(new PromptAborted());
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new PromptAborted()); // Ctrl+C
        if (ch === '\u0004') {
          if (value === '') return finish(new PromptAborted()); // Ctrl+D on an empty line
          continue;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = ''; // Ctrl+U
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}

/** Reads the first line of a non-terminal input (the rest is left unread). */
function readLine(input: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const done = (line: string) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', reject);
      input.pause();
      resolve(line.replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const nl = buffered.indexOf('\n');
      if (nl >= 0) done(buffered.slice(0, nl));
    };
    const onEnd = () => done(buffered);
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', reject);
    input.resume();
  });
}

/**
 * A password typed at the terminal (asked twice when `confirm`), or the first
 * line of stdin when it is not a terminal. Rejects with PromptAborted on
 * Ctrl+C, and with an Error when the two entries differ.
 */
export async function readPassword(io: PromptIO, prompt: string, confirm: boolean): Promise<string> {
  if (!io.input.isTTY || !io.input.setRawMode) return readLine(io.input);
  const first = await readHidden(io, prompt);
  if (confirm && first !== '') {
    const second = await readHidden(io, 'Repeat the password: ');
    if (second !== first) throw new Error('the two passwords differ; nothing was changed');
  }
  return first;
}
