// The abuse limits over real loopback, with a clock the test moves forward: the per-account send rate (across
// devices), password guessing per (account, address) with backoff, the per-account ceiling, device-token logins that
// are never throttled, and a stranger at another address who cannot lock a known username out.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command, ResultCode } from '../../shared/protocol';
import { RequestError, TestClient } from './helpers/client';
import { serverFixture } from './helpers/server';
import { befriend, direct } from './helpers/social';
import { relayFrom, type SourceRelay } from './helpers/source-address';

/** Real time plus an offset the test adds to (the server's sweeps keep running on real timers). */
class JumpClock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
}

const clock = new JumpClock();
const fixture = serverFixture(
  {
    sendBurst: 5,
    sendPerMinute: 60,
    loginFreeFailures: 3,
    loginBackoffBaseMs: 1000,
    loginBackoffMaxMs: 8000,
    loginFailuresPerAccount: 10,
    loginFailuresPerAddress: 40,
    loginThrottleWindowMs: 10 * 60_000,
    // The clock jumps by minutes: keep the idle sweep from reaping everyone.
    idleTimeoutMs: 24 * 3600_000,
  },
  clock,
);

let stranger: SourceRelay;
beforeAll(async () => {
  stranger = await relayFrom('127.0.0.2', fixture.server);
});
afterAll(() => stranger.close());

/** A client whose connection reaches the server from 127.0.0.2. */
async function fromStranger(): Promise<TestClient> {
  const c = await TestClient.connect({ host: '127.0.0.1', port: stranger.port, publicKey: fixture.server.publicKey });
  return fixture.track(c);
}

async function rpcError(p: Promise<unknown>): Promise<RequestError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RequestError)) throw new Error(`expected an error answer, got ${String(err)}`);
  return err;
}

const passwordLogin = (username: string, password: string, deviceId = randomUUID()) => ({
  username,
  credential: { case: 'password' as const, value: password },
  device: { deviceId, deviceName: 'test' },
});

describe('per-account send rate', () => {
  it('limits an account across its devices with RATE_LIMITED and retry_after_ms; other accounts are not affected', async () => {
    const phone = await fixture.user('rate_alice');
    const laptop = fixture.track(await fixture.server.client());
    await laptop.loginPassword('rate_alice');
    const bob = await fixture.user('rate_bob');
    const carol = await fixture.user('rate_carol');
    await befriend(phone, bob);
    await befriend(carol, bob);
    const send = (c: TestClient, id: string) => c.call(Command.MESSAGE_SEND, { to: direct(bob), clientMsgId: id, text: id });

    // The burst (5) shared by both devices.
    for (const id of ['p1', 'p2', 'p3']) await send(phone, id);
    for (const id of ['l1', 'l2']) await send(laptop, id);
    const limited = await rpcError(send(laptop, 'l3'));
    expect(limited.code).toBe(ResultCode.RATE_LIMITED);
    expect(limited.detail.retryAfterMs).toBeGreaterThan(0);
    expect(limited.detail.retryAfterMs).toBeLessThanOrEqual(1000); // one token a second
    expect((await rpcError(send(phone, 'p4'))).code).toBe(ResultCode.RATE_LIMITED);
    await send(carol, 'c1'); // another account has its own bucket

    // Refused sends were not stored; after retry_after_ms the same message goes through.
    clock.offset += limited.detail.retryAfterMs;
    const ack = await send(laptop, 'l3');
    expect(ack.duplicate).toBe(false);
    const sync = await bob.call(Command.SYNC, { limit: 100 });
    const texts = sync.events.flatMap((e) => (e.event.case === 'message' ? [e.event.value.text] : []));
    expect(texts.sort()).toEqual(['c1', 'l1', 'l2', 'l3', 'p1', 'p2', 'p3']);
    expect(phone.closed || laptop.closed).toBe(false); // rate limiting keeps the connection
  });
});

describe('password guessing', () => {
  it('backs off per (account, address): free failures, then waits that double; the right password waits too', async () => {
    await fixture.user('guess_dave');
    const c = await fromStranger();
    for (let i = 0; i < 3; i++) expect(await c.fails(Command.LOGIN, passwordLogin('guess_dave', 'wrong-1'))).toBe(ResultCode.BAD_CREDENTIALS);
    const first = await rpcError(c.call(Command.LOGIN, passwordLogin('guess_dave', 'correct horse battery')));
    expect(first.code).toBe(ResultCode.RATE_LIMITED);
    expect(first.detail.retryAfterMs).toBeGreaterThan(0);
    expect(first.detail.retryAfterMs).toBeLessThanOrEqual(1000);
    clock.offset += first.detail.retryAfterMs;
    expect(await c.fails(Command.LOGIN, passwordLogin('guess_dave', 'wrong-2'))).toBe(ResultCode.BAD_CREDENTIALS);
    const second = await rpcError(c.call(Command.LOGIN, passwordLogin('guess_dave', 'wrong-3')));
    expect(second.detail.retryAfterMs).toBeGreaterThan(1000);
    expect(second.detail.retryAfterMs).toBeLessThanOrEqual(2000);
    clock.offset += second.detail.retryAfterMs;
    // After the wait the right password works, and resets the count.
    await c.loginPassword('guess_dave');
    expect(c.closed).toBe(false);
  });

  it('a stranger guessing a known username does not lock its owner out, by password or by device token', async () => {
    const owner = await fixture.user('known_erin');
    const token = owner.login!.deviceToken;
    const c = await fromStranger();
    for (let i = 0; i < 3; i++) expect(await c.fails(Command.LOGIN, passwordLogin('known_erin', `guess-${i}`))).toBe(ResultCode.BAD_CREDENTIALS);
    expect(await c.fails(Command.LOGIN, passwordLogin('known_erin', 'guess-3'))).toBe(ResultCode.RATE_LIMITED);

    const fromHome = fixture.track(await fixture.server.client());
    await fromHome.loginPassword('known_erin'); // another address: not affected
    // The owner's device token works from anywhere, even from the stranger's address while it is throttled.
    const device = await fromStranger();
    const res = await device.call(Command.LOGIN, { username: 'known_erin', credential: { case: 'deviceToken', value: token }, device: { deviceId: owner.deviceId, deviceName: 'test' } });
    expect(Number(res.userId)).toBe(owner.userId);
  });

  it('keeps a per-account ceiling against guessing from many addresses: passwords wait, device tokens still work', async () => {
    const owner = await fixture.user('ceiling_fay');
    const token = owner.login!.deviceToken;
    const here = await fixture.server.client();
    fixture.track(here);
    const there = await fromStranger();
    // 10 failures in the window (the ceiling), 3 from each pair plus 4 more after the backoff, spread over two addresses.
    for (const c of [here, there]) for (let i = 0; i < 3; i++) expect(await c.fails(Command.LOGIN, passwordLogin('ceiling_fay', 'nope'))).toBe(ResultCode.BAD_CREDENTIALS);
    for (let i = 0; i < 2; i++) {
      clock.offset += 8000;
      for (const c of [here, there]) expect(await c.fails(Command.LOGIN, passwordLogin('ceiling_fay', 'nope'))).toBe(ResultCode.BAD_CREDENTIALS);
    }
    clock.offset += 8000;
    const third = fixture.track(await fixture.server.client()); // same address as `here`, but the pair backoff has passed
    const capped = await rpcError(third.call(Command.LOGIN, passwordLogin('ceiling_fay', 'correct horse battery')));
    expect(capped.code).toBe(ResultCode.RATE_LIMITED);
    expect(capped.detail.retryAfterMs).toBeGreaterThan(8000); // the window of the ceiling, not a pair backoff
    const res = await third.call(Command.LOGIN, { username: 'ceiling_fay', credential: { case: 'deviceToken', value: token }, device: { deviceId: owner.deviceId, deviceName: 'test' } });
    expect(Number(res.userId)).toBe(owner.userId);
    clock.offset += capped.detail.retryAfterMs;
    await fixture.track(await fixture.server.client()).loginPassword('ceiling_fay');
  });

  it('never throttles device-token logins, however many fail', async () => {
    const owner = await fixture.user('token_gus');
    const c = await fromStranger();
    for (let i = 0; i < 20; i++) {
      expect(await c.fails(Command.LOGIN, { username: 'token_gus', credential: { case: 'deviceToken', value: `forged-${i}` }, device: { deviceId: owner.deviceId } })).toBe(
        ResultCode.TOKEN_INVALID,
      );
    }
    const res = await c.call(Command.LOGIN, { username: 'token_gus', credential: { case: 'deviceToken', value: owner.login!.deviceToken }, device: { deviceId: owner.deviceId } });
    expect(Number(res.userId)).toBe(owner.userId);
  });
});
