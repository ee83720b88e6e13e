/**
 * The server in its own network namespace behind a veth pair, so faults hit
 * real kernel TCP: a full partition (the host's end of the link down), a
 * bandwidth limit (tc tbf), and loss, delay, reordering and duplication
 * (tc netem) where the kernel has the netem qdisc. Needs root (ip netns);
 * `netnsUnavailable()` / `netemUnavailable()` say why not, for a clear skip.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

function reason(err: unknown): string {
  const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
  return stderr || String(err);
}

export class NetNs {
  /** Inside the namespace, where the server listens. */
  readonly nsAddress: string;
  private constructor(
    readonly name: string,
    readonly hostIf: string,
    readonly nsIf: string,
    readonly hostAddress: string,
    nsAddress: string,
  ) {
    this.nsAddress = nsAddress;
  }

  /** A namespace with a /30 link to this host, on a random 10.213.x.y/30. */
  static create(): NetNs {
    const id = randomBytes(3).toString('hex');
    const n = randomBytes(2);
    const base = `10.213.${n[0]!}.${(n[1]! & 0xfc) % 252}`;
    const [a, b, c, d] = base.split('.').map(Number) as [number, number, number, number];
    const hostAddress = `${a}.${b}.${c}.${d + 1}`;
    const nsAddress = `${a}.${b}.${c}.${d + 2}`;
    const ns = new NetNs(`tern-chaos-${id}`, `tch${id}`, `tcn${id}`, hostAddress, nsAddress);
    try {
      run('ip', ['netns', 'add', ns.name]);
      run('ip', ['link', 'add', ns.hostIf, 'type', 'veth', 'peer', 'name', ns.nsIf]);
      run('ip', ['link', 'set', ns.nsIf, 'netns', ns.name]);
      run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', ns.hostIf]);
      run('ip', ['link', 'set', ns.hostIf, 'up']);
      run('ip', ['-n', ns.name, 'addr', 'add', `${nsAddress}/30`, 'dev', ns.nsIf]);
      run('ip', ['-n', ns.name, 'link', 'set', ns.nsIf, 'up']);
      run('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
    } catch (err) {
      ns.dispose();
      throw new Error(`cannot build the namespace: ${reason(err)}`);
    }
    return ns;
  }

  /** The command prefix that runs a process inside. */
  get wrap(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  /** Full partition: the host's end of the link goes down (packets dropped both ways, sockets stay). */
  partition(): void {
    run('ip', ['link', 'set', this.hostIf, 'down']);
  }

  heal(): void {
    run('ip', ['link', 'set', this.hostIf, 'up']);
  }

  /** A qdisc on both ends of the link, e.g. ['netem', 'delay', '30ms'] or ['tbf', 'rate', '256kbit', ...]. */
  qdisc(spec: string[]): void {
    run('tc', ['qdisc', 'replace', 'dev', this.hostIf, 'root', ...spec]);
    run('ip', ['netns', 'exec', this.name, 'tc', 'qdisc', 'replace', 'dev', this.nsIf, 'root', ...spec]);
  }

  clearQdisc(): void {
    for (const args of [
      ['tc', 'qdisc', 'del', 'dev', this.hostIf, 'root'],
      ['ip', 'netns', 'exec', this.name, 'tc', 'qdisc', 'del', 'dev', this.nsIf, 'root'],
    ]) {
      try {
        run(args[0]!, args.slice(1));
      } catch {
        // none set
      }
    }
  }

  dispose(): void {
    for (const args of [
      ['link', 'del', this.hostIf],
      ['netns', 'del', this.name],
    ]) {
      try {
        run('ip', args);
      } catch {
        // already gone
      }
    }
  }
}

/** Undefined when namespaces can be made here; otherwise the reason. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need root (CI runs as root)';
  try {
    run('ip', ['-V']);
    run('tc', ['-V']);
  } catch (err) {
    return `ip or tc missing (iproute2): ${reason(err)}`;
  }
  try {
    NetNs.create().dispose();
    return undefined;
  } catch (err) {
    return String(err instanceof Error ? err.message : err);
  }
}

/** Undefined when the kernel has the netem qdisc; otherwise the reason. */
export function netemUnavailable(): string | undefined {
  let ns: NetNs | undefined;
  try {
    ns = NetNs.create();
    ns.qdisc(['netem', 'delay', '1ms']);
    return undefined;
  } catch (err) {
    return `tc netem not available on this kernel (${reason(err)})`;
  } finally {
    ns?.dispose();
  }
}
