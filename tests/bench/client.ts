/**
 * Client core benchmark: the first login sync of a big account over
 * loopback, against the real server in a child process (so the server's
 * work does not count as the client's event-loop stalls).
 *
 *   npm run bench -- client [--messages N] [--friends N] [--groups N] [--members N]
 *
 * The server's database is seeded directly through its storage API (the
 * benchmark user's events only; other users' logs are not needed): N offline
 * messages from friends, the friends, and groups with their members. Then a
 * fresh client logs in with the password and we measure:
 * - time to the first page of conversations (first `conversationsChanged`),
 * - time to fully synced (`connectionState` online),
 * - the longest event-loop stall of the client process during the sync
 *   (perf_hooks.monitorEventLoopDelay, plus a 5 ms interval probe),
 * - then, on the synced cache: p50/p99 of a 50-message page and of a search.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { create, toBinary } from '@bufbuild/protobuf';
import { createCore } from '../../electron/core/index';
import { FriendState, GroupRole, SyncDomain, SyncEventSchema, type SyncEvent } from '../../shared/protocol';
import { hashPassword } from '../../server/services/password';
import { writeOperation } from '../../server/operations/operation';
import { renderGroup, renderMember, renderPublicProfile } from '../../server/operations/render';
import { SqliteStore } from '../../server/storage/sqlite-store';
import { childServer } from '../core/helpers/server';

export const BENCH_PASSWORD = 'benchmark password';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

function corpus(): string[] {
  const lines: string[] = [];
  for (const name of ['chinese', 'fortunes']) {
    const file = `/usr/share/games/fortunes/${name}`;
    if (!existsSync(file)) continue;
    for (const chunk of readFileSync(file, 'utf8').split('\n%\n')) {
      const text = chunk.replace(/\u001b\[[0-9;]*m/g, '').trim();
      if (text.length > 0 && text.length < 400) lines.push(text);
    }
  }
  return lines.length > 0 ? lines : Array.from({ length: 100 }, (_, i) => `generated message number ${i} 第${i}条消息`);
}

function body(domain: SyncDomain, event: SyncEvent['event']): Uint8Array {
  return toBinary(SyncEventSchema, create(SyncEventSchema, { domain, event }));
}

/** Writes the seed in one operation of the embedded store (run in this thread, so it needs no registration). */
const seedOperation = writeOperation('bench.seed', async ({ tx }, a: { counts: { messages: number; friends: number; groups: number; members: number }; hash: string; now: number; texts: string[] }) => {
  const { counts, hash, now, texts } = a;
  const me = await tx.users.create({ username: 'bench', passwordHash: hash, nickname: 'Bench', now });
  const append = async (domain: SyncDomain, ref: number, event: Uint8Array | null) => {
    const [seq] = await tx.sequences.allocate([[me, 1]]);
    await tx.events.insert([{ user_id: me, seq: seq!, domain, ref, body: event }]);
  };
  const friends: number[] = [];
  for (let i = 0; i < counts.friends; i++) {
    const id = await tx.users.create({ username: `friend${i}`, passwordHash: hash, nickname: `朋友 ${i}`, now });
    friends.push(id);
    await tx.friends.set(me, id, FriendState.FRIEND, now);
    await tx.friends.set(id, me, FriendState.FRIEND, now);
    const profile = renderPublicProfile((await tx.users.byId(id))!);
    await append(SyncDomain.FRIENDS, 0, body(SyncDomain.FRIENDS, { case: 'friend', value: { userId: profile.userId, state: FriendState.FRIEND, since: profile.updatedAt, profile } as never }));
  }
  for (let g = 0; g < counts.groups; g++) {
    const groupId = await tx.groups.create(`群组 ${g}`, me, now);
    await tx.groups.addMember(groupId, me, GroupRole.OWNER, now);
    for (let m = 1; m < counts.members; m++) await tx.groups.addMember(groupId, friends[(g * 37 + m) % friends.length]!, GroupRole.MEMBER, now);
    const group = (await tx.groups.byId(groupId))!;
    await tx.groups.update({ ...group, member_count: counts.members });
    await append(SyncDomain.GROUPS, 0, body(SyncDomain.GROUPS, { case: 'group', value: renderGroup({ ...group, member_count: counts.members }, GroupRole.OWNER) }));
    for (const row of await tx.groups.members(groupId, 0, 10_000)) {
      await append(SyncDomain.MEMBERS, 0, body(SyncDomain.MEMBERS, { case: 'member', value: renderMember(row, await tx.users.byId(row.user_id)) }));
    }
  }
  const peers = Math.max(1, Math.min(friends.length, 500));
  for (let i = 0; i < counts.messages; i++) {
    const from = friends[i % peers]!;
    const conv = await tx.conversations.ensureDirect(me, from);
    const msgId = await tx.messages.insert({
      conv_id: conv.id,
      conv_seq: await tx.conversations.nextSeq(conv.id),
      sender_id: from,
      client_msg_id: randomUUID(),
      sent_at: now + i,
      text: texts[i % texts.length]!,
      mentions: '',
      reply_to: 0,
      sender_seq: 0,
    });
    await append(SyncDomain.MESSAGES, msgId, null);
  }
});

/** Seeds a server data directory for the user `bench` (also used by the core-thread suite). */
export async function seed(dataDir: string, counts: { messages: number; friends: number; groups: number; members: number }): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = SqliteStore.open(join(dataDir, 'tern.db'), { durability: 'full' });
  try {
    const hash = await hashPassword(BENCH_PASSWORD, { N: 1024, r: 8, p: 1 });
    await store.write(seedOperation, { counts, hash, now: Date.now() - 3_600_000, texts: corpus() }, Date.now());
  } finally {
    await store.close();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const counts = {
    messages: option(args, 'messages', 10_000),
    friends: option(args, 'friends', 5_000),
    groups: option(args, 'groups', 200),
    members: option(args, 'members', 200),
  };
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-client-'));
  const serverDir = join(dir, 'server');
  try {
    const seedStart = performance.now();
    await seed(serverDir, counts);
    const seedMs = performance.now() - seedStart;
    const server = await childServer(serverDir);
    const syncLog: object[] = [];
    const log = {
      debug: () => {},
      info: (obj: object, msg?: string) => {
        if (msg === 'login sync done') syncLog.push(obj);
      },
      warn: () => {},
      error: () => {},
    };
    const core = await createCore({ dataDir: join(dir, 'client'), defaultServers: [server.endpoint], log });
    try {
      let firstPageMs: number | undefined;
      let syncedMs: number | undefined;
      const histogram = monitorEventLoopDelay({ resolution: 5 });
      let probeMax = 0;
      let last = performance.now();
      const probe = setInterval(() => {
        const t = performance.now();
        probeMax = Math.max(probeMax, t - last - 5);
        last = t;
      }, 5);
      const synced = new Promise<void>((resolveSynced) => {
        core.on('connectionState', (s) => {
          if (s.state === 'online' && syncedMs === undefined) {
            syncedMs = performance.now() - t0;
            resolveSynced();
          }
        });
      });
      core.on('conversationsChanged', () => {
        firstPageMs ??= performance.now() - t0;
      });
      histogram.enable();
      const t0 = performance.now();
      await core.login({ username: 'bench', password: BENCH_PASSWORD });
      const loginMs = performance.now() - t0;
      await synced;
      histogram.disable();
      clearInterval(probe);

      const conversations = await core.listConversations({ limit: 500 });
      const friends = await core.listFriends({});
      const groups = await core.listGroups({});
      const firstGroup = groups[0];
      const members = firstGroup ? await core.listGroupMembers({ groupId: firstGroup.id }) : [];
      let messageCount = 0;
      for (const c of conversations.items) messageCount += (await core.loadMessages({ key: c.key, limit: 200 })).messages.length;

      // Reads on the synced cache.
      const pageTimes: number[] = [];
      const searchTimes: number[] = [];
      const keys = conversations.items.map((c) => c.key);
      const queries = ['的', '我们', 'the', 'Debian', '生活', 'love', '时间', 'comput'];
      for (let i = 0; i < 300 && keys.length > 0; i++) {
        const s = performance.now();
        await core.loadMessages({ key: keys[i % keys.length]!, limit: 50 });
        pageTimes.push(performance.now() - s);
      }
      for (let i = 0; i < 200; i++) {
        const s = performance.now();
        await core.searchMessages({ query: queries[i % queries.length]!, limit: 50 });
        searchTimes.push(performance.now() - s);
      }
      pageTimes.sort((a, b) => a - b);
      searchTimes.sort((a, b) => a - b);

      const results = {
        seeded: counts,
        seedMs: Math.round(seedMs),
        loginResolvedMs: round(loginMs),
        firstConversationsPageMs: round(firstPageMs ?? NaN),
        fullySyncedMs: round(syncedMs ?? NaN),
        longestStallMs: round(Math.max(histogram.max / 1e6 - 5, probeMax)),
        eventLoopDelayP99Ms: round(histogram.percentile(99) / 1e6),
        syncEngine: syncLog[0],
        synced: {
          conversations: conversations.items.length,
          messages: messageCount,
          friends: friends.length,
          groups: groups.length,
          membersOfFirstGroup: members.length,
        },
        page50: { p50Ms: round(percentile(pageTimes, 50)), p99Ms: round(percentile(pageTimes, 99)) },
        search: { p50Ms: round(percentile(searchTimes, 50)), p99Ms: round(percentile(searchTimes, 99)) },
        targets: { firstConversationsPageMs: 300, fullySyncedMs: 3000, longestStallMs: 50 },
      };
      console.log(JSON.stringify(results, null, 2));
      return results;
    } finally {
      await core.dispose();
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
