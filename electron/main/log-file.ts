/**
 * The app's log file with rotation: `main.log`, and when it passes
 * `maxBytes`, `main.log` becomes `main.1.log` (`main.1.log` becomes
 * `main.2.log`, ...) and a new `main.log` starts; at most `keep` files exist.
 * Checked at start too, so a log grown by earlier runs is rotated first.
 * A pino destination: pino calls `write` with one JSON line at a time.
 *
 * Appends are synchronous (a write(2) per line, never an fsync): the main
 * process logs a few lines a minute, and it keeps rotation exact: with
 * asynchronous writes a line still in flight could land in the next file.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';

export interface RotatingLogOptions {
  dir: string;
  name?: string;
  maxBytes?: number;
  keep?: number;
}

export class RotatingLogFile {
  readonly path: string;
  private readonly dir: string;
  private readonly name: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly dest: ReturnType<typeof pino.destination>;
  private size: number;

  constructor(options: RotatingLogOptions) {
    this.dir = options.dir;
    this.name = options.name ?? 'main';
    this.maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.keep = Math.max(1, options.keep ?? 3);
    this.path = join(this.dir, `${this.name}.log`);
    mkdirSync(this.dir, { recursive: true });
    if (this.currentSize() >= this.maxBytes) this.shift();
    this.size = this.currentSize();
    this.dest = pino.destination({ dest: this.path, sync: true, mkdir: true });
  }

  /** The log files, oldest first (what "export debug log" reads). */
  files(): string[] {
    const all = [];
    for (let i = this.keep - 1; i >= 1; i--) all.push(this.rotated(i));
    all.push(this.path);
    return all.filter((f) => existsSync(f));
  }

  write(line: string): boolean {
    const ok = this.dest.write(line);
    this.size += Buffer.byteLength(line);
    if (this.size >= this.maxBytes) this.rotate();
    return ok;
  }

  /** Nothing waits in memory (synchronous appends); kept for pino's flush(). */
  flushSync(): void {
    this.dest.flushSync();
  }

  close(): void {
    this.dest.end();
  }

  private rotate(): void {
    this.shift();
    this.dest.reopen();
    this.size = 0;
  }

  private shift(): void {
    rmSync(this.rotated(this.keep - 1), { force: true });
    for (let i = this.keep - 2; i >= 1; i--) if (existsSync(this.rotated(i))) renameSync(this.rotated(i), this.rotated(i + 1));
    if (this.keep > 1 && existsSync(this.path)) renameSync(this.path, this.rotated(1));
    else rmSync(this.path, { force: true });
  }

  private rotated(i: number): string {
    return join(this.dir, `${this.name}.${i}.log`);
  }

  private currentSize(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }
}
