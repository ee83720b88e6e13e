/**
 * The outbox's timing policy under a manual clock, over an in-memory link,
 * with the real SQLite cache in a temp directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageView } from '../../shared/ipc';
import { Command, ErrorDetailSchema, ResultCode, SendMessageAckSchema, SendMessageRequestSchema, decodePayload, encodePayload, type Frame } from '../../shared/protocol';
import { openCache, type Cache } from '../../electron/core/cache';
import { ConnectionManager } from '../../electron/core/connection-manager';
import { silentLogger } from '../../electron/core/log';
import { Outbox } from '../../electron/core/outbox';
import { resolveTimings } from '../../electron/core/timings';
import { ManualClock } from './helpers/manual-clock';
import { endpoint, scriptedConnector, type MemoryConnection } from './helpers/memory-link';

const timings = resolveTimings({});

interface Rig {
  clock: ManualClock;
  cache: Cache;
  outbox: Outbox;
  manager: ConnectionManager;
  script: ReturnType<typeof scriptedConnector>;
  changes: MessageView[];
  sends: () => { clientMsgId: string; at: number }[];
  close(): void;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tern-outbox-'));
});
let rig: Rig | undefined;
afterEach(() => {
  rig?.close();
  rig = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function build(clock = new ManualClock()): Rig {
  const { cache } = openCache({ dir, userId: 1, now: () => clock.now() });
  const script = scriptedConnector();
  const changes: MessageView[] = [];
  // Late-bound: the connection hooks drive the outbox built below.
  const late: { outbox?: Outbox } = {};
  const manager: ConnectionManager = new ConnectionManager(
    { clock, timings, connector: script.connector, log: silentLogger, clientName: 't', random: () => 0 },
    {
      onLink: async () => {
        manager.setState('online');
        late.outbox?.online();
      },
      onPush: () => {},
      onLinkLost: () => late.outbox?.offline(),
    },
  );
  const sendLog: { clientMsgId: string; at: number }[] = [];
  const outbox = new Outbox({
    cache,
    clock,
    timings,
    log: silentLogger,
    link: () => (manager.current.state === 'online' ? manager.activeLink : undefined),
    changed: (c) => changes.push(...(c.messages ?? [])),
  });
  late.outbox = outbox;
  script.setup = (connection) => {
    const original = connection.send.bind(connection);
    connection.send = (frame: Frame) => {
      if (frame.command === Command.MESSAGE_SEND) {
        const req = decodePayload(SendMessageRequestSchema, frame.payload);
        if (req.ok) sendLog.push({ clientMsgId: req.value.clientMsgId, at: clock.now() });
      }
      return original(frame);
    };
  };
  const r: Rig = {
    clock,
    cache,
    outbox,
    manager,
    script,
    changes,
    sends: () => sendLog,
    close() {
      outbox.dispose();
      manager.dispose();
      cache.close();
    },
  };
  rig = r;
  return r;
}

function connect(r: Rig): void {
  r.manager.start([endpoint(1)]);
}

/**
 * A "server" that acknowledges every MESSAGE_SEND (as a duplicate from the second time on). Each test makes its own,
 * so no test sees another's messages; the restart test hands the same one to both of its rigs.
 */
function ackingServer(): (connection: MemoryConnection) => void {
  const seen = new Map<string, number>();
  return (connection) => {
    connection.responder = (frame) => {
      if (frame.command !== Command.MESSAGE_SEND) return [];
      const req = decodePayload(SendMessageRequestSchema, frame.payload);
      if (!req.ok) return [];
      const id = req.value.clientMsgId;
      const msgId = seen.get(id) ?? seen.size + 100;
      const duplicate = seen.has(id);
      seen.set(id, msgId);
      return [ack(frame, msgId, duplicate)];
    };
  };
}

/** Every connection of the rig gets a server that acknowledges its sends. */
function serveAcks(r: Rig): void {
  const acking = ackingServer();
  r.script.setup = ((prev) => (c: MemoryConnection) => {
    prev(c);
    acking(c);
  })(r.script.setup);
}

function ack(frame: Frame, msgId: number, duplicate = false): Frame {
  return {
    serial: frame.serial,
    command: Command.MESSAGE_SEND,
    code: 0,
    payload: encodePayload(SendMessageAckSchema, { msgId: BigInt(msgId), convSeq: BigInt(msgId - 99), sentAt: 1n, userSeq: 1n, duplicate } as never),
  };
}

describe('Outbox', () => {
  it('stores the message (pending) before any byte is sent', async () => {
    const r = build();
    const view = r.outbox.send({ key: 'u:2', text: 'hello' });
    expect(view.status).toBe('pending');
    expect(view.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.cache.messages.get(view.id)?.status).toBe('pending');
    expect(r.cache.outbox.get(view.id)?.state).toBe('queued');
    expect(r.sends()).toEqual([]);
  });

  it('connected but unanswered: 15 s ack timeout, 3 retries, then failed', async () => {
    const r = build();
    connect(r);
    await r.clock.advance(0);
    const t0 = r.clock.now();
    const view = r.outbox.send({ key: 'u:2', text: 'hello' });
    // The line itself stays healthy (PINGs answered): only the acks are missing.
    r.script.connections[0]!.responder = (frame) =>
      frame.command === Command.PING ? [{ serial: frame.serial, command: Command.PONG, code: 0, payload: new Uint8Array() }] : [];
    await r.clock.advance(59_999);
    expect(r.sends().map((s) => s.at - t0)).toEqual([0, 15_000, 30_000, 45_000]);
    expect(new Set(r.sends().map((s) => s.clientMsgId))).toEqual(new Set([view.id]));
    expect(r.cache.messages.get(view.id)?.status).toBe('pending');
    expect(r.manager.current.state).toBe('online');
    await r.clock.advance(1);
    expect(r.cache.messages.get(view.id)).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } });
    expect(r.cache.outbox.get(view.id)?.state).toBe('failed');
    expect(r.changes.at(-1)).toMatchObject({ id: view.id, status: 'failed' });
  });

  it('disconnected: checks every 2 s, fails after 15 checks (30 s)', async () => {
    const r = build();
    r.script.plan = () => 'SERVER_UNREACHABLE';
    connect(r);
    const view = r.outbox.send({ key: 'u:2', text: 'offline' });
    await r.clock.advance(29_999);
    expect(r.cache.messages.get(view.id)?.status).toBe('pending');
    await r.clock.advance(1);
    expect(r.cache.messages.get(view.id)).toMatchObject({ status: 'failed', error: { code: 'OFFLINE' } });
    expect(r.sends()).toEqual([]);
  });

  it('sends as soon as the connection is back within the window; resend after failure', async () => {
    const r = build();
    let up = false;
    r.script.plan = () => (up ? 'ok' : 'SERVER_UNREACHABLE');
    serveAcks(r);
    connect(r);
    const first = r.outbox.send({ key: 'u:2', text: 'one' });
    await r.clock.advance(20_000);
    up = true;
    r.manager.reconnectNow();
    await r.clock.advance(0);
    expect(r.cache.messages.get(first.id)).toMatchObject({ status: 'sent', serverId: 100 });
    expect(r.cache.outbox.count()).toBe(0);

    // Failed only for want of a connection: shown failed after the window, then sent by itself, in order, when it returns.
    r.manager.stop();
    up = false;
    const second = r.outbox.send({ key: 'u:2', text: 'two' });
    const deleted = r.outbox.send({ key: 'u:2', text: 'deleted' });
    const third = r.outbox.send({ key: 'u:2', text: 'three' });
    await r.clock.advance(30_000);
    expect([second, deleted, third].map((m) => r.cache.messages.get(m.id)?.status)).toEqual(['failed', 'failed', 'failed']);
    // The user deletes one: it never goes out.
    r.outbox.discard(deleted.id);
    r.cache.messages.delete(deleted.id);
    const before = r.sends().length;
    up = true;
    connect(r);
    await r.clock.advance(0);
    expect(r.sends().slice(before).map((x) => x.clientMsgId)).toEqual([second.id, third.id]);
    expect([second, third].map((m) => r.cache.messages.get(m.id)?.status)).toEqual(['sent', 'sent']);
    expect(r.changes.filter((c) => c.id === second.id).map((c) => c.status)).toEqual(['pending', 'failed', 'pending', 'sent']);
    expect(r.cache.outbox.count()).toBe(0);
  });

  it('a message the server refused waits for the user after a reconnect; resend sends it', async () => {
    const r = build();
    serveAcks(r);
    r.script.setup = ((prev) => (c: MemoryConnection) => {
      prev(c);
      const acks = c.responder;
      c.responder = (frame) => {
        if (frame.command !== Command.MESSAGE_SEND || r.sends().length > 1) return acks?.(frame);
        const detail = encodePayload(ErrorDetailSchema, { code: ResultCode.NOT_FRIENDS, message: 'not friends' } as never);
        return [{ serial: frame.serial, command: Command.MESSAGE_SEND, code: ResultCode.NOT_FRIENDS, payload: detail }];
      };
    })(r.script.setup);
    connect(r);
    await r.clock.advance(0);
    const refused = r.outbox.send({ key: 'u:2', text: 'not yet friends' });
    await r.clock.advance(0);
    expect(r.cache.messages.get(refused.id)).toMatchObject({ status: 'failed', error: { code: 'NOT_FRIENDS' } });
    r.outbox.online();
    await r.clock.advance(0);
    expect(r.sends()).toHaveLength(1);
    expect(r.cache.messages.get(refused.id)?.status).toBe('failed');
    r.outbox.resend(refused.id);
    await r.clock.advance(0);
    expect(r.cache.messages.get(refused.id)?.status).toBe('sent');
  });

  it('a duplicate ack (the server already had it) settles the message once', async () => {
    const r = build();
    serveAcks(r);
    connect(r);
    await r.clock.advance(0);
    const view = r.outbox.send({ key: 'u:2', text: 'x' });
    await r.clock.advance(0);
    expect(r.cache.messages.get(view.id)?.status).toBe('sent');
    const page = r.cache.messages.page('u:2', { limit: 50 });
    expect(page.messages).toHaveLength(1);
  });

  it('a send cut off by a dropped connection is sent again with the same id, without using a retry', async () => {
    const r = build();
    const acking = ackingServer();
    let connections = 0;
    r.script.setup = ((prev) => (c: MemoryConnection) => {
      prev(c);
      connections += 1;
      if (connections === 1) {
        // The server stores the message, then the connection dies before the ack.
        c.responder = (frame) => {
          if (frame.command === Command.MESSAGE_SEND) queueMicrotask(() => c.drop({ code: 0, message: 'reset' }));
          return [];
        };
      } else {
        acking(c);
      }
    })(r.script.setup);
    connect(r);
    await r.clock.advance(0);
    const view = r.outbox.send({ key: 'u:2', text: 'cut off' });
    await r.clock.advance(5_000);
    expect(r.sends().map((s) => s.clientMsgId)).toEqual([view.id, view.id]);
    expect(r.cache.messages.get(view.id)?.status).toBe('sent');
    expect(connections).toBe(2);
  });

  it('RATE_LIMITED: waits retry_after_ms (the whole outbox), uses no retry, and never fails the message', async () => {
    const r = build();
    const wait = 2500;
    let limitedUntil = 0;
    r.script.setup = ((prev) => (c: MemoryConnection) => {
      prev(c);
      let next = 100;
      c.responder = (frame) => {
        if (frame.command !== Command.MESSAGE_SEND) return [];
        // Refused for six waits in a row: more than the retry budget (3) other errors get.
        if (r.clock.now() < limitedUntil) {
          return [{ serial: frame.serial, command: Command.MESSAGE_SEND, code: ResultCode.RATE_LIMITED, payload: encodePayload(ErrorDetailSchema, { code: ResultCode.RATE_LIMITED, message: 'sending too fast', retryAfterMs: wait }) }];
        }
        return [ack(frame, next++)];
      };
    })(r.script.setup);
    connect(r);
    await r.clock.advance(0);
    const t0 = r.clock.now();
    limitedUntil = t0 + 6 * wait;
    const first = r.outbox.send({ key: 'u:2', text: 'one' });
    await r.clock.advance(10);
    const second = r.outbox.send({ key: 'u:2', text: 'two' }); // queued during the pause: waits with the first
    await r.clock.advance(6 * wait - 11);
    expect(r.cache.messages.get(first.id)?.status).toBe('pending');
    expect(r.cache.outbox.get(first.id)).toMatchObject({ attempts: 0 });
    expect(r.sends().filter((s) => s.at < t0 + wait).map((s) => s.clientMsgId)).toEqual([first.id]);
    // Every try comes exactly retry_after_ms after a refusal, never sooner.
    expect([...new Set(r.sends().map((s) => s.at - t0))]).toEqual([0, 1, 2, 3, 4, 5].map((k) => k * wait));
    await r.clock.advance(1);
    expect(r.cache.messages.get(first.id)?.status).toBe('sent');
    expect(r.cache.messages.get(second.id)?.status).toBe('sent');
    expect(r.changes.some((m) => m.status === 'failed')).toBe(false);
    expect(r.cache.outbox.count()).toBe(0);
  });

  it('UNAVAILABLE with retry_after_ms (a server whose disk is full): each retry waits the hint, then failed with UNAVAILABLE', async () => {
    const r = build();
    const wait = 5000;
    r.script.setup = ((prev) => (c: MemoryConnection) => {
      prev(c);
      c.responder = (frame) =>
        frame.command === Command.MESSAGE_SEND
          ? [{ serial: frame.serial, command: Command.MESSAGE_SEND, code: ResultCode.UNAVAILABLE, payload: encodePayload(ErrorDetailSchema, { code: ResultCode.UNAVAILABLE, message: 'the server is out of storage space; retry later', retryAfterMs: wait }) }]
          : [];
    })(r.script.setup);
    connect(r);
    await r.clock.advance(0);
    const t0 = r.clock.now();
    const sent = r.outbox.send({ key: 'u:2', text: 'one' });
    await r.clock.advance(timings.ackRetries * wait - 1);
    expect(r.cache.messages.get(sent.id)?.status).toBe('pending');
    await r.clock.advance(1);
    // The first try, then one per hint: the retry budget spans 3 × 5 s, not 3 × 1 s.
    expect(r.sends().map((s) => s.at - t0)).toEqual(Array.from({ length: timings.ackRetries + 1 }, (_, k) => k * wait));
    expect(r.cache.messages.get(sent.id)).toMatchObject({ status: 'failed', error: { code: 'UNAVAILABLE' } });
  });

  it('a backlog of 200 goes out 32 at a time without ever reading the whole outbox', async () => {
    const r = build();
    serveAcks(r);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push(r.outbox.send({ key: 'u:2', text: `backlog ${i}` }).id);
    const list = vi.spyOn(r.cache.outbox, 'list');
    const listDue = vi.spyOn(r.cache.outbox, 'listDue');
    connect(r);
    await r.clock.advance(0);
    expect(ids.every((id) => r.cache.messages.get(id)?.status === 'sent')).toBe(true);
    expect(r.sends()).toHaveLength(200);
    expect(r.cache.outbox.count()).toBe(0);
    // Never the whole table; and no read asks for more rows than there are free in-flight slots.
    expect(list).not.toHaveBeenCalled();
    expect(Math.max(...listDue.mock.calls.map(([, limit]) => limit ?? Infinity))).toBeLessThanOrEqual(32);
  });

  it('resumes after a restart: in-flight messages are sent again with the same id', async () => {
    const clock = new ManualClock();
    const r1 = build(clock);
    connect(r1);
    await clock.advance(0);
    const view = r1.outbox.send({ key: 'u:2', text: 'survive' });
    await clock.advance(1000); // sent, no ack: in flight when the app quits
    expect(r1.cache.outbox.get(view.id)?.state).toBe('inflight');
    r1.close();
    rig = undefined;

    const r2 = build(clock);
    serveAcks(r2);
    r2.outbox.start();
    connect(r2);
    await clock.advance(0);
    expect(r2.sends().map((s) => s.clientMsgId)).toEqual([view.id]);
    expect(r2.cache.messages.get(view.id)?.status).toBe('sent');
    expect(r2.cache.outbox.count()).toBe(0);
  });
});
