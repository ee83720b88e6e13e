/**
 * Hostile clients during faults: while the world chats and the server is
 * SIGKILLed and restarted mid-burst, the same server gets slow-loris
 * connections (a handshake dribbled a byte at a time, never finished),
 * connections of seeded random bytes in random chunks, and a signed-in
 * stranger who posts to a group they are not in, writes to users who are not
 * their friends and recalls others' messages. The honest users' invariants
 * hold, every hostile connection is closed by the server, the stranger gets
 * the specific error each time and nothing of theirs reaches a cache, and the
 * server's memory stays bounded.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKey } from '../../shared/node/noise/keys';
import { Command, ResultCode } from '../../shared/protocol';
import { Rng } from '../shared/support/fuzz';
import { RequestError, TestClient } from '../server/helpers/client';
import { direct, group, sendText } from '../server/helpers/social';
import { waitFor } from '../support/wait';
import { allMessages } from './support/invariants';
import { chaosSeed, longMode } from './support/mode';
import { burst } from './support/traffic';
import { World } from './support/world';

const seed = chaosSeed(1509);
const HANDSHAKE_TIMEOUT_MS = 2000;
let world: World;

beforeAll(async () => {
  console.log(`chaos hostile: seed ${seed}`);
  world = await World.create({ name: 'hostile', participants: 3, seed, server: { env: { TERN_SERVER_HANDSHAKE_TIMEOUT_MS: String(HANDSHAKE_TIMEOUT_MS) } } });
});

afterAll(async () => {
  await world?.dispose();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Hostiles {
  stop(): Promise<void>;
  /** Connections opened, and those the server closed (or refused) by itself. */
  opened: number;
  closedByServer: number;
  /** Slow-loris connections the server kept open longer than the handshake timeout + slack. */
  overstayed: number;
}

/** Slow-loris and random-byte connections against the server's current endpoint, until stop(). */
function startHostiles(rng: Rng): Hostiles {
  let running = true;
  const sockets = new Set<Socket>();
  const h: Hostiles = { opened: 0, closedByServer: 0, overstayed: 0, stop: async () => {} };
  const open = (onConnect: (s: Socket) => void): Promise<void> =>
    new Promise((resolve) => {
      const { host, port } = world.server.endpoint;
      const s = connect({ host, port });
      h.opened++;
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('connect', () => onConnect(s));
      s.on('close', () => {
        sockets.delete(s);
        if (running) h.closedByServer++;
        resolve();
      });
    });
  // Slow loris: a plausible first byte, then one more every 300 ms; the server must drop it at its handshake timeout.
  const loris = async () => {
    while (running) {
      const opened = Date.now();
      let timer: NodeJS.Timeout | undefined;
      await open((s) => {
        timer = setInterval(() => {
          if (!s.destroyed) s.write(Uint8Array.of(rng.int(256)));
        }, 300);
      });
      clearInterval(timer);
      if (running && Date.now() - opened > HANDSHAKE_TIMEOUT_MS + 10_000) h.overstayed++;
    }
  };
  // Random bytes in random chunks (before any handshake can finish), then the socket is left open for the server to close.
  const garbage = async () => {
    while (running) {
      await open((s) => {
        const bytes = rng.bytes(1 + rng.int(8192));
        for (let o = 0; o < bytes.length; ) {
          const n = 1 + rng.int(1024);
          s.write(bytes.subarray(o, o + n));
          o += n;
        }
      });
      await sleep(20 + rng.int(50));
    }
  };
  const loops = [...Array.from({ length: longMode ? 40 : 10 }, loris), ...Array.from({ length: longMode ? 8 : 3 }, garbage)];
  h.stop = async () => {
    running = false;
    for (const s of sockets) s.destroy();
    await Promise.all(loops);
  };
  return h;
}

describe('hostile clients during faults', () => {
  it('slow-loris and random-byte connections and a stranger probing, through a server SIGKILL mid-burst', async () => {
    const rng = new Rng(seed);
    const endpoint = () => ({ host: world.server.endpoint.host, port: world.server.endpoint.port, publicKey: decodeKey(world.server.endpoint.publicKey) });
    const mallory = await TestClient.connect(endpoint());
    await mallory.register(`mallory${seed}`);
    const groupId = Number(world.groupKey.slice(2));
    const victim = world.p(0);
    // Something of the victim's to try to recall.
    const target = await victim.send(world.groupKey, 'a message mallory wants gone');
    await world.settle();
    const targetServerId = (await victim.core.loadMessages({ key: world.groupKey })).messages.find((m) => m.id === target)!.serverId!;

    const hostiles = startHostiles(rng);
    const refusals: string[] = [];
    const probe = async (client: TestClient) => {
      const tries: [string, () => Promise<unknown>][] = [
        ['post to a group not joined', () => sendText(client, group(groupId), 'mallory in your group')],
        ['write to a non-friend', () => sendText(client, direct(victim.userId), 'mallory says hi')],
        ['recall another user’s message', () => client.call(Command.MESSAGE_RECALL, { msgId: BigInt(targetServerId) })],
      ];
      for (const [what, attempt] of tries) {
        const err = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        refusals.push(`${what}: ${err instanceof RequestError ? ResultCode[err.code] : String(err)}`);
      }
    };
    try {
      await probe(mallory);
      const before = world.participants.map((p) => p.shownSent.size);
      const sending = burst(world, longMode ? 40 : 12, 'hostile');
      await waitFor(() => world.participants.some((p, i) => p.shownSent.size > before[i]!) || undefined, 'some of the burst acknowledged', 60_000);
      await world.server.kill();
      await sending;
      await sleep(500);
      await world.restartServer();
      // The stranger signs in again after the restart and tries once more.
      const again = await TestClient.connect(endpoint());
      try {
        await again.loginPassword(`mallory${seed}`);
        await probe(again);
      } finally {
        await again.close();
      }
      await sleep(longMode ? 20_000 : 3000); // the hostiles keep at it while the world recovers
      await world.settle();
    } finally {
      await hostiles.stop();
      await mallory.close();
    }
    console.log(`hostile: ${hostiles.opened} hostile connections, ${hostiles.closedByServer} closed by the server, ${hostiles.overstayed} overstayed; refusals: ${refusals.join('; ')}`);
    expect(refusals).toEqual(
      [0, 1].flatMap(() => ['post to a group not joined: NOT_MEMBER', 'write to a non-friend: NOT_FRIENDS', expect.stringMatching(/^recall another user’s message: (NOT_FOUND|PERMISSION_DENIED|NOT_MEMBER)$/)]),
    );
    expect(hostiles.closedByServer).toBeGreaterThan(10);
    expect(hostiles.overstayed).toBe(0);
    // Nothing of the stranger's in any cache, and the honest users' invariants hold.
    const mallorysId = mallory.userId;
    for (const p of world.participants) {
      for (const c of (await p.core.listConversations({ limit: 500 })).items) {
        for (const m of await allMessages(p, c.key)) expect(m.senderId, `${p.name} ${c.key}`).not.toBe(mallorysId);
      }
    }
    expect((await victim.core.loadMessages({ key: world.groupKey })).messages.find((m) => m.id === target)?.recalled).toBeFalsy();
    expect(await world.check({ allowFailed: false })).toEqual([]);
  });
});
