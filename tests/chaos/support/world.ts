/**
 * A chaos scenario's world: one server process (SQLite data directory), a
 * few participants (each a real core behind its own fault proxy), all
 * friends with each other and in one group. It settles (everyone online,
 * failed messages resent, no outbox left) and checks the invariants.
 *
 *   const world = await World.create({ name: 'reset', participants: 3, seed });
 *   await world.p(0).send(world.direct(0, 1), 'hello');
 *   world.p(0).proxy!.resetMidFrame();
 *   await world.settle();
 *   expect(await world.check()).toEqual([]);
 *   await world.dispose();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConversationKey, ServerEndpoint } from '../../../shared/ipc';
import { waitFor } from '../../support/wait';
import { checkInvariants, freshDeviceAgrees, type CheckOptions } from './invariants';
import { Participant, PASSWORD, type ParticipantOptions } from './participant';
import { ChaosServer, type ServerOptions } from './server';

export interface WorldOptions {
  name: string;
  participants: number;
  seed: number;
  /** Which participants run their core in a child process (killable). */
  processes?: number[];
  /** Clock skew per participant index (ms). */
  skewMs?: Record<number, number>;
  server?: Partial<ServerOptions>;
  /** Participants connect straight to the server (no proxy). */
  direct?: boolean;
  participant?: Partial<ParticipantOptions>;
  /**
   * Circles of this many: each participant is friends with the others of its
   * circle only, and each circle is a group (the soak's 50 clients in circles
   * of 5). Default: one circle of everyone.
   */
  circle?: number;
  /** Where the server keeps its data, given the world's root (default: root/server); may register cleanups. */
  serverDataDir?: (root: string, world: World) => string;
  /**
   * Servers run elsewhere (a cluster, tests/chaos/cluster.test.ts): the world starts none, and participant i's
   * core gets this endpoint list (it tries them in order, connects directly, no proxy).
   */
  servers?: (i: number) => ServerEndpoint[];
}

export class World {
  readonly participants: Participant[] = [];
  readonly groups = new Map<number, Participant[]>();
  groupKey: ConversationKey = 'g:0';
  /** Server memory at the start (after setup) and its peak seen at checks, KiB. */
  rssStartKiB = 0;
  private readonly cleanups: (() => void)[] = [];

  private constructor(
    readonly root: string,
    readonly server: ChaosServer,
    readonly options: WorldOptions,
  ) {}

  static async create(options: WorldOptions): Promise<World> {
    const root = mkdtempSync(join(tmpdir(), `tern-chaos-${options.name}-`));
    const server = new ChaosServer({ dataDir: join(root, 'server'), ...options.server });
    const world = new World(root, server, options);
    if (options.serverDataDir) server.options.dataDir = options.serverDataDir(root, world);
    try {
      await world.setUp();
    } catch (err) {
      await world.dispose();
      throw err;
    }
    return world;
  }

  private async setUp(): Promise<void> {
    const endpoint = this.options.servers ? undefined : await this.server.start();
    for (let i = 0; i < this.options.participants; i++) {
      const servers = this.options.servers?.(i);
      const p = new Participant({
        root: this.root,
        name: `${this.options.name.replace(/[^a-z0-9]/gi, '').slice(0, 12).toLowerCase()}${i}`,
        server: endpoint ?? servers![0]!,
        ...(servers ? { servers } : {}),
        seed: this.options.seed + i,
        process: this.options.processes?.includes(i) ?? false,
        skewMs: this.options.skewMs?.[i] ?? 0,
        direct: this.options.direct ?? false,
        ...this.options.participant,
      });
      this.participants.push(p);
      await p.start();
      await p.register();
    }
    const size = this.options.circle ?? this.participants.length;
    for (let start = 0; start < this.participants.length; start += size) {
      const circle = this.participants.slice(start, start + size);
      await befriendAll(circle);
      if (circle.length >= 3) {
        const [owner, ...rest] = circle;
        const g = await owner!.core.createGroup({ name: 'chaos', memberIds: rest.map((p) => p.userId) });
        this.groups.set(g.id, circle);
        if (start === 0) this.groupKey = `g:${g.id}`;
        for (const p of circle) await waitFor(async () => (await p.core.listGroups({})).some((x) => x.id === g.id), `${p.name} sees the group`, 30_000);
      }
    }
    this.rssStartKiB = this.server.rssKiB();
  }

  /** Starts the server again (after a kill) and points every proxy at it (its port may have changed). */
  async restartServer(): Promise<void> {
    const endpoint = await this.server.start();
    for (const p of this.participants) p.proxy?.retarget(endpoint);
  }

  /** Indexes of the participants `i` may write to directly (its circle). */
  peersOf(i: number): number[] {
    const size = this.options.circle ?? this.participants.length;
    const start = i - (i % size);
    const out: number[] = [];
    for (let j = start; j < Math.min(start + size, this.participants.length); j++) if (j !== i) out.push(j);
    return out;
  }

  /** The group conversations `i` is in. */
  groupsOf(i: number): ConversationKey[] {
    const me = this.p(i);
    return [...this.groups].filter(([, members]) => members.includes(me)).map(([id]) => `g:${id}` as const);
  }

  p(i: number): Participant {
    return this.participants[i]!;
  }

  /** `from`'s key for its direct chat with `to`. */
  direct(from: number, to: number): ConversationKey {
    return `u:${this.p(to).userId}`;
  }

  /**
   * Waits until every participant is online and has nothing pending; resends
   * what failed (the user's "resend" button) until it is acknowledged; then
   * waits until every recipient holds what the senders saw acknowledged.
   */
  async settle(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1000, deadline - Date.now());
    for (const p of this.participants) await waitFor(() => p.online(), `${p.name} online again`, left());
    for (const p of this.participants) {
      await waitFor(
        async () => {
          let open = 0;
          for (const key of new Set([...p.sent, ...p.cut].map((r) => r.key))) {
            const msgs = (await p.core.loadMessages({ key, limit: 200 })).messages;
            for (const m of msgs) {
              if (!m.outgoing) continue;
              if (m.status === 'failed') await p.core.resendMessage({ messageId: m.id });
              if (m.status === 'pending' || m.status === 'failed') open++;
            }
          }
          return open === 0;
        },
        `${p.name}'s outbox empty`,
        left(),
      );
    }
    // Pushes and pulls land: each recipient's conversation reaches the sender's acknowledged sequence.
    await waitFor(async () => (await this.check({ allowFailed: false, quiet: true })).length === 0, 'every recipient holds every acknowledged message', left()).catch(() => {});
  }

  /** The invariants (see invariants.ts); plus no unexpected exit of the server or a client, and the server's memory. */
  async check(options: CheckOptions & { quiet?: boolean; maxServerRssMiB?: number } = {}): Promise<string[]> {
    const problems = await checkInvariants({ groups: this.groups, participants: this.participants }, options);
    if (options.quiet) return problems;
    problems.push(...this.server.unexpectedExits);
    for (const p of this.participants) problems.push(...p.errors);
    const rss = this.server.rssKiB();
    const cap = (options.maxServerRssMiB ?? 400) * 1024;
    if (rss > cap) problems.push(`server resident memory ${Math.round(rss / 1024)} MiB > ${cap / 1024} MiB (started at ${Math.round(this.rssStartKiB / 1024)} MiB)`);
    return problems;
  }

  /** checkInvariants + a fresh device of participant `i` agrees with its long-lived cache. */
  async checkAll(options: CheckOptions & { freshDevice?: number } = {}): Promise<string[]> {
    const problems = await this.check(options);
    const who = this.p(options.freshDevice ?? 0);
    problems.push(
      ...(await freshDeviceAgrees(who, async () => {
        const servers = this.options.servers?.(this.participants.indexOf(who));
        const fresh = new Participant({ root: this.root, name: who.name, dir: `${who.name}-fresh-${Date.now()}`, server: servers?.[0] ?? this.server.endpoint, ...(servers ? { servers } : {}), seed: 1, direct: true });
        await fresh.start();
        await fresh.core.login({ username: who.name, password: PASSWORD });
        fresh.userId = who.userId;
        return fresh;
      })),
    );
    return problems;
  }

  /** Runs at dispose, after the server and clients stopped, before the files are removed (e.g. unmount). */
  onDispose(fn: () => void): void {
    this.cleanups.push(fn);
  }

  async dispose(): Promise<void> {
    for (const p of this.participants) await p.stop().catch(() => {});
    await this.server.stop().catch(() => {});
    for (const fn of this.cleanups.splice(0).reverse()) fn();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Every pair of `ps` becomes friends (i asks, j accepts). */
async function befriendAll(ps: Participant[]): Promise<void> {
  for (let i = 0; i < ps.length; i++) {
    for (let j = i + 1; j < ps.length; j++) {
      await ps[i]!.core.sendFriendRequest({ userId: ps[j]!.userId, message: 'hi' });
      const request = await waitFor(
        async () => (await ps[j]!.core.listFriendRequests({})).find((r) => r.direction === 'incoming' && r.user.userId === ps[i]!.userId && r.state === 'pending'),
        `${ps[j]!.name} gets ${ps[i]!.name}'s request`,
        30_000,
      );
      await ps[j]!.core.acceptFriendRequest({ requestId: request.id });
    }
  }
  for (const p of ps) await waitFor(async () => (await p.core.listFriends({})).filter((f) => f.state === 'friend').length === ps.length - 1, `${p.name}'s friends`, 30_000);
}
