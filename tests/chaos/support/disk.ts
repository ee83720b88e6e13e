/**
 * A server data directory on its own small filesystem (tmpfs), so a scenario
 * can fill it up or make it read-only under a running server. Needs root
 * (mount); `diskFaultsUnavailable()` says why not, for a clear skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function mount(args: string[]): void {
  execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Undefined when tmpfs mounts work here; otherwise the reason. */
export function diskFaultsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a small filesystem for the data directory';
  const probe = mkdtempSync(join(tmpdir(), 'tern-mount-probe-'));
  try {
    mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
    execFileSync('umount', [probe]);
    return undefined;
  } catch (err) {
    return `cannot mount tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim()})`;
  } finally {
    rmdirSync(probe);
  }
}

export class SmallDisk {
  private constructor(readonly path: string) {}

  static create(parent: string, sizeMiB: number): SmallDisk {
    const path = join(parent, 'disk');
    mkdirSync(path, { recursive: true });
    mount(['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', path]);
    return new SmallDisk(path);
  }

  readOnly(): void {
    mount(['-o', 'remount,ro', this.path]);
  }

  readWrite(): void {
    mount(['-o', 'remount,rw', this.path]);
  }

  dispose(): void {
    try {
      execFileSync('umount', ['-l', this.path], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
