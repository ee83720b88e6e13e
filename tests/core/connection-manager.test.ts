import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../shared/ipc';
import { Command, PongSchema, encodePayload } from '../../shared/protocol';
import { ConnectionManager, type Link } from '../../electron/core/connection-manager';
import { CoreError } from '../../electron/core/errors';
import { silentLogger } from '../../electron/core/log';
import { resolveTimings } from '../../electron/core/timings';
import { ManualClock } from './helpers/manual-clock';
import { endpoint, scriptedConnector, type MemoryConnection } from './helpers/memory-link';

const endpoints = [endpoint(1001), endpoint(1002), endpoint(1003)];

function setup(random = () => 0.5) {
  const clock = new ManualClock();
  const script = scriptedConnector();
  const timings = resolveTimings({});
  const states: ConnectionStatus[] = [];
  const links: Link[] = [];
  const manager: ConnectionManager = new ConnectionManager(
    { clock, timings, connector: script.connector, log: silentLogger, clientName: 'test', random },
    {
      onLink: async (link: Link) => {
        links.push(link);
        manager.setState('online');
      },
      onPush: () => {},
      onStatus: (s) => states.push(s),
    },
  );
  return { clock, script, manager, states, links, timings };
}

/** Answers every PING with a PONG: a healthy server. */
function healthy(connection: MemoryConnection): void {
  connection.responder = (frame) =>
    frame.command === Command.PING ? [{ serial: frame.serial, command: Command.PONG, code: 0, payload: encodePayload(PongSchema, {}) }] : [];
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('ConnectionManager', () => {
  it('walks the states up to online', async () => {
    const { clock, manager, states } = setup();
    cleanup = () => manager.dispose();
    manager.start(endpoints);
    await clock.advance(0);
    expect(states.map((s) => s.state)).toEqual(['offline', 'connecting', 'authenticating', 'online']);
    expect(manager.current).toMatchObject({ state: 'online', endpoint: '127.0.0.1:1001' });
  });

  it('tries the next endpoint after a failure, with a fast first retry and growing jittered delays', async () => {
    const { clock, script, manager, states } = setup(() => 0.5);
    cleanup = () => manager.dispose();
    script.plan = (_e, attempt) => (attempt < 4 ? 'SERVER_UNREACHABLE' : 'ok');
    const t0 = clock.now();
    manager.start(endpoints);
    await clock.advance(0);
    const offline = states.filter((s) => s.state === 'offline' && s.nextRetryAt !== undefined);
    expect(offline[0]).toMatchObject({ lastError: { code: 'SERVER_UNREACHABLE' }, nextRetryAt: t0 + 750 });
    await clock.advance(60_000);
    expect(script.attempts).toEqual(['127.0.0.1:1001', '127.0.0.1:1002', '127.0.0.1:1003', '127.0.0.1:1001', '127.0.0.1:1002']);
    const delays = states.filter((s) => s.nextRetryAt !== undefined).map((s) => s.nextRetryAt!);
    // random 0.5 -> 3/4 of the ceiling (1, 2, 4, then capped at 5 s): 750, 1500, 3000, 3750 ms after each failure.
    const gaps = delays.map((at, i) => at - (i === 0 ? t0 : delays[i - 1]!));
    expect(gaps).toEqual([750, 1500, 3000, 3750]);
    expect(manager.current.state).toBe('online');
  });

  it('caps the back-off', async () => {
    const { clock, script, manager, states } = setup(() => 0.999999);
    cleanup = () => manager.dispose();
    script.plan = () => 'SERVER_UNREACHABLE';
    manager.start([endpoint(1)]);
    await clock.advance(20 * 60_000);
    const waits = states.filter((s) => s.nextRetryAt !== undefined).map((s, i, all) => s.nextRetryAt! - (i === 0 ? 0 : all[i - 1]!.nextRetryAt!));
    // A returning server is found within seconds: never more than 5 s between attempts.
    expect(Math.max(...waits.slice(1))).toBeLessThanOrEqual(5_000);
    expect(waits.slice(-3)).toEqual([5_000, 5_000, 5_000]);
  });

  it('a dead heartbeat drops the link and moves to the next endpoint', async () => {
    const { clock, script, manager, states } = setup();
    cleanup = () => manager.dispose();
    manager.start(endpoints);
    await clock.advance(0);
    expect(script.connections).toHaveLength(1);
    // The server never answers: 30 s quiet, then two 15 s misses.
    await clock.advance(59_999);
    expect(manager.current.state).toBe('online');
    await clock.advance(1);
    expect(states.at(-1)).toMatchObject({ state: 'offline', lastError: { code: 'TIMEOUT' } });
    expect(script.connections[0]!.closed).toBe(true);
    await clock.advance(1000);
    expect(script.attempts).toEqual(['127.0.0.1:1001', '127.0.0.1:1002']);
    expect(manager.current).toMatchObject({ state: 'online', endpoint: '127.0.0.1:1002' });
  });

  it('probe(): keeps a healthy link, finds a dead one in seconds', async () => {
    const { clock, script, manager } = setup();
    cleanup = () => manager.dispose();
    script.setup = healthy;
    manager.start(endpoints);
    await clock.advance(0);
    manager.probe();
    await clock.advance(10_000);
    expect(script.connections).toHaveLength(1);
    expect(manager.current.state).toBe('online');
    // Now the line goes silent (e.g. the laptop slept and the NAT forgot us).
    script.connections[0]!.responder = undefined;
    manager.probe();
    await clock.advance(2 * 3000);
    expect(script.connections[0]!.closed).toBe(true);
    expect(manager.current.state).not.toBe('online');
  });

  it('probe() while waiting to retry reconnects at once', async () => {
    const { clock, script, manager } = setup();
    cleanup = () => manager.dispose();
    script.plan = (_e, attempt) => (attempt === 0 ? 'SERVER_UNREACHABLE' : 'ok');
    manager.start([endpoint(1)]);
    await clock.advance(0);
    expect(manager.current.state).toBe('offline');
    manager.probe();
    await clock.advance(0);
    expect(manager.current.state).toBe('online');
  });

  it('rejects every pending request when the connection drops', async () => {
    const { clock, script, manager, links } = setup();
    cleanup = () => manager.dispose();
    manager.start(endpoints);
    await clock.advance(0);
    const link = links[0]!;
    const a = link.request(Command.GROUP_GET, { groupId: 1 as never });
    const b = link.request(Command.PROFILE_GET, { userIds: [] });
    const serials = script.connections[0]!.sent.map((f) => f.serial);
    expect(new Set(serials).size).toBe(2);
    script.connections[0]!.drop({ code: 0, message: 'reset' });
    await expect(a).rejects.toMatchObject({ code: 'OFFLINE' });
    await expect(b).rejects.toBeInstanceOf(CoreError);
  });

  it('times out a request that gets no answer', async () => {
    const { clock, manager, links, timings } = setup();
    cleanup = () => manager.dispose();
    manager.start(endpoints);
    await clock.advance(0);
    const pending = links[0]!.request(Command.PROFILE_GET, { userIds: [] });
    const settled = pending.catch((e: unknown) => e);
    await clock.advance(timings.requestTimeoutMs);
    expect(await settled).toMatchObject({ code: 'TIMEOUT' });
  });

  it('calls no hook once disposed (the last status stays the one its owner saw)', async () => {
    const { clock, manager, states } = setup();
    manager.start(endpoints);
    await clock.advance(0);
    manager.stop({ code: 'KICKED', message: 'x' });
    const seen = states.length;
    manager.dispose();
    expect(states).toHaveLength(seen);
    expect(states.at(-1)).toMatchObject({ state: 'offline', lastError: { code: 'KICKED' } });
    expect(clock.pendingTimers).toBe(0);
  });

  it('stop() ends the loop and leaves no timers', async () => {
    const { clock, script, manager } = setup();
    script.plan = () => 'SERVER_UNREACHABLE';
    manager.start(endpoints);
    await clock.advance(5000);
    manager.stop({ code: 'KICKED', message: 'x' });
    expect(manager.current).toMatchObject({ state: 'offline', lastError: { code: 'KICKED' } });
    expect(clock.pendingTimers).toBe(0);
    const count = script.attempts.length;
    await clock.advance(120_000);
    expect(script.attempts.length).toBe(count);
    manager.dispose();
  });
});
