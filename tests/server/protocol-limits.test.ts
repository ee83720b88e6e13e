// docs/PROTOCOL.md §11 (limits), §11.1 (throttling) and §6.2 (rules) held against a real server. Each §11 row is
// checked by what it says: a field's largest value passes and one more is refused with the row's code, or the row's
// number is the server option's default. A row this file has no check for fails, so a new limit must come with one.
import { randomUUID } from 'node:crypto';
import { cipherSize } from '../../shared/attachments/format';
import { describe, expect, it } from 'vitest';
import { Command, FriendState, PROTOCOL_VERSION, ResultCode, type RequestCommand } from '../../shared/protocol';
import { connectSecure } from '../../shared/node/transport';
import { MAX_RECORD_PLAINTEXT, MAX_RECORD_SIZE } from '../../shared/node/transport/records';
import { defaultConfig } from '../../server/config';
import { MAX_EMOJI_PER_MESSAGE, MAX_REACTIONS_PER_USER } from '../../server/operations/message-actions';
import { RequestError, type TestClient } from './helpers/client';
import { documentedLimits, documentedThrottles, range, type LimitRow } from './helpers/protocol-doc';
import { serverFixture } from './helpers/server';
import { befriend, direct, sendText } from './helpers/social';

// Defaults everywhere a §11 row is probed; only the send rate is lifted (the probes send a lot).
const fixture = serverFixture({ sendBurst: 100_000, registrationsPerAddress: 100_000 });

async function codeOf(call: Promise<unknown>): Promise<ResultCode> {
  try {
    await call;
    return ResultCode.OK;
  } catch (err) {
    if (err instanceof RequestError) return err.code;
    throw err;
  }
}

/** `ok` passes; each of `refused` is answered `code`. */
async function expectBoundary(what: string, ok: Array<() => Promise<unknown>>, refused: Array<() => Promise<unknown>>, code: ResultCode): Promise<void> {
  for (const [i, call] of ok.entries()) expect(ResultCode[await codeOf(call())], `${what}: accepted case ${i}`).toBe('OK');
  for (const [i, call] of refused.entries()) expect(ResultCode[await codeOf(call())], `${what}: refused case ${i}`).toBe(ResultCode[code]);
}

let n = 0;
const fresh = (prefix: string) => `${prefix}${(++n).toString(36)}${randomUUID().slice(0, 4)}`.replace(/-/g, '').slice(0, 32);

let pairCache: Promise<[TestClient, TestClient]> | undefined;
/** Two friends, made once. */
function friends(): Promise<[TestClient, TestClient]> {
  pairCache ??= (async () => {
    const a = await fixture.user(fresh('lim_a'));
    const b = await fixture.user(fresh('lim_b'));
    await befriend(a, b);
    return [a, b] as [TestClient, TestClient];
  })();
  return pairCache;
}

const register = (username: string, password = 'password123', device: { deviceId: string; deviceName?: string } = { deviceId: 'd' }, nickname = '') => async () =>
  (await fixture.client()).call(Command.REGISTER, { username, password, nickname, device });

/** The number a §11/§11.1 cell must show for an option's default. */
const shows = (cell: string, text: string, option: string) => expect(cell, `the row should show the default of ${option}: "${text}"`).toContain(text);

type Check = (row: LimitRow) => Promise<void>;

const checks: Record<string, Check> = {
  'frame size, header included': async (row) => {
    shows(row.limit, `${defaultConfig.maxFrameSize.toLocaleString('en-US')} bytes`, 'maxFrameSize');
    shows(row.limit, 'option `maxFrameSize`', 'maxFrameSize');
  },
  record: async (row) => {
    // The record layer's own bounds (tested in tests/shared/node/records.test.ts); here: the doc shows the code's numbers.
    shows(row.limit, `16..${MAX_RECORD_SIZE}`, 'MAX_RECORD_SIZE');
    shows(row.limit, `up to ${MAX_RECORD_PLAINTEXT} plaintext`, 'MAX_RECORD_PLAINTEXT');
  },
  'message text (`MESSAGE_SEND.text`)': async (row) => {
    const { min, max } = range(row.limit);
    expect(min).toBe(1);
    expect(max).toBe(defaultConfig.maxTextLength);
    const [a, b] = await friends();
    const send = (text: string) => () => sendText(a, direct(b), text);
    await expectBoundary('text', [send('字'.repeat(max)), send('🐦'.repeat(max)), send(' ')], [send('x'.repeat(max + 1)), send('🐦'.repeat(max + 1))], ResultCode.MESSAGE_TOO_LARGE);
    await expectBoundary('empty text', [], [send('')], ResultCode.INVALID_ARGUMENT);
  },
  'client message id (`client_msg_id`)': async (row) => {
    const { min, max } = range(row.limit);
    const [a, b] = await friends();
    const send = (clientMsgId: string) => () => sendText(a, direct(b), 'x', { clientMsgId });
    await expectBoundary('client_msg_id', [send('i'.repeat(max)), send(fresh('c').slice(0, min))], [send('i'.repeat(max + 1)), send(''), send('a\u0001b')], ResultCode.INVALID_ARGUMENT);
  },
  'mentions per message': async (row) => {
    const { max } = range(row.limit);
    const [a, b] = await friends();
    const send = (count: number) => () => sendText(a, direct(b), 'x', { mentions: Array.from({ length: count }, () => BigInt(b.userId)) });
    await expectBoundary('mentions', [send(max), send(0)], [send(max + 1)], ResultCode.INVALID_ARGUMENT);
  },
  'username (`REGISTER`)': async (row) => {
    const { min, max } = range(row.limit);
    const name = (length: number) => fresh('u').padEnd(length, 'x').slice(0, length);
    await expectBoundary(
      'username',
      [register(name(max)), register(name(min)), register(`${name(max - 3)}_.-`)],
      [register(name(min - 1)), register(name(max + 1)), register(`${name(min)}A`), register(`${name(min)}!`), register(`${name(min)} `)],
      ResultCode.INVALID_ARGUMENT,
    );
  },
  password: async (row) => {
    const { min, max } = range(row.limit);
    await expectBoundary('password', [register(fresh('p'), 'p'.repeat(min)), register(fresh('p'), '密'.repeat(max))], [register(fresh('p'), 'p'.repeat(min - 1)), register(fresh('p'), 'p'.repeat(max + 1))], ResultCode.INVALID_ARGUMENT);
  },
  'nickname (`REGISTER`: empty means the username; `PROFILE_UPDATE`)': async (row) => {
    const { min, max } = range(row.limit);
    const [a] = await friends();
    const update = (nickname: string) => () => a.call(Command.PROFILE_UPDATE, { nickname });
    await expectBoundary('nickname', [update('名'.repeat(max)), update('n'.repeat(min))], [update('n'.repeat(max + 1)), update(''), update('a\nb')], ResultCode.INVALID_ARGUMENT);
    const username = fresh('nick');
    const res = await register(username)();
    expect(res.profile?.nickname).toBe(username);
    await expectBoundary('nickname at REGISTER', [register(fresh('nick'), 'password123', { deviceId: 'd' }, 'n'.repeat(max))], [register(fresh('nick'), 'password123', { deviceId: 'd' }, 'n'.repeat(max + 1))], ResultCode.INVALID_ARGUMENT);
  },
  'avatar (`PROFILE_UPDATE`)': async (row) => {
    const { min, max } = range(row.limit);
    const [a] = await friends();
    const update = (avatar: string) => () => a.call(Command.PROFILE_UPDATE, { avatar });
    await expectBoundary('avatar', [update('a'.repeat(max)), update('a'.repeat(min))], [update('a'.repeat(max + 1)), update('https://x/\n')], ResultCode.INVALID_ARGUMENT);
  },
  'signature (`PROFILE_UPDATE`)': async (row) => {
    const { max } = range(row.limit);
    const [a] = await friends();
    const update = (signature: string) => () => a.call(Command.PROFILE_UPDATE, { signature });
    await expectBoundary('signature', [update(`${'s'.repeat(max - 1)}\n`), update('')], [update('s'.repeat(max + 1))], ResultCode.INVALID_ARGUMENT);
  },
  'device id (`DeviceInfo.device_id`)': async (row) => {
    const { min, max } = range(row.limit);
    const withDevice = (deviceId: string) => register(fresh('dev'), 'password123', { deviceId });
    await expectBoundary('device id', [withDevice('d'.repeat(max)), withDevice('d'.repeat(min))], [withDevice('d'.repeat(max + 1)), withDevice(''), withDevice('d\u007f')], ResultCode.INVALID_ARGUMENT);
  },
  'device name (`DeviceInfo.device_name`; empty means "unnamed device")': async (row) => {
    const { max } = range(row.limit);
    const withName = (deviceName: string) => register(fresh('dn'), 'password123', { deviceId: 'd', deviceName });
    await expectBoundary('device name', [withName('n'.repeat(max)), withName('')], [withName('n'.repeat(max + 1)), withName('a\tb')], ResultCode.INVALID_ARGUMENT);
  },
  'group name (`GROUP_CREATE`, `GROUP_RENAME`; trimmed)': async (row) => {
    const { max } = range(row.limit);
    const [a] = await friends();
    const create = (name: string) => () => a.call(Command.GROUP_CREATE, { name });
    await expectBoundary('group name', [create(`  ${'g'.repeat(max)}  `)], [create('g'.repeat(max + 1)), create('   '), create('a\nb')], ResultCode.INVALID_ARGUMENT);
    const made = await a.call(Command.GROUP_CREATE, { name: '  trimmed  ' });
    expect(made.name).toBe('trimmed');
  },
  'friend request message': async (row) => {
    const { max } = range(row.limit);
    const ask = (message: string) => async () => {
      const from = await fixture.user(fresh('frm'));
      const to = await fixture.user(fresh('frt'));
      return from.call(Command.FRIEND_REQUEST, { target: { case: 'userId', value: BigInt(to.userId) }, message });
    };
    await expectBoundary('friend request message', [ask('m'.repeat(max)), ask('')], [ask('m'.repeat(max + 1)), ask('a\nb')], ResultCode.INVALID_ARGUMENT);
  },
  'user ids per `PROFILE_GET`': async (row) => {
    const { max } = range(row.limit);
    const [a] = await friends();
    const ask = (count: number) => () => a.call(Command.PROFILE_GET, { userIds: Array.from({ length: count }, (_, i) => BigInt(i + 1)) });
    await expectBoundary('PROFILE_GET ids', [ask(max), ask(0)], [ask(max + 1)], ResultCode.INVALID_ARGUMENT);
  },
  'user ids per `PRESENCE_QUERY`': async (row) => {
    const { max } = range(row.limit);
    const [a] = await friends();
    const ask = (count: number) => () => a.call(Command.PRESENCE_QUERY, { userIds: Array.from({ length: count }, (_, i) => BigInt(i + 1)) });
    await expectBoundary('PRESENCE_QUERY ids', [ask(max), ask(0)], [ask(max + 1)], ResultCode.INVALID_ARGUMENT);
  },
  'attachment (`MESSAGE_SEND.attachments`, `BLOB_UPLOAD_AUTH`)': async (row) => {
    shows(row.limit, `${defaultConfig.maxAttachmentBytes.toLocaleString('en-US')} bytes per file (option \`maxAttachmentBytes\``, 'maxAttachmentBytes');
    shows(row.limit, `${defaultConfig.maxAttachmentsPerMessage} per message (option \`maxAttachmentsPerMessage\`)`, 'maxAttachmentsPerMessage');
    const [a] = await friends();
    const max = defaultConfig.maxAttachmentBytes;
    const ask = (size: number) => () => a.call(Command.BLOB_UPLOAD_AUTH, { digest: 'ab'.repeat(32), cipherSize: BigInt(cipherSize(size)), plainSize: BigInt(size) });
    await expectBoundary('BLOB_UPLOAD_AUTH size', [ask(max), ask(0)], [ask(max + 1)], ResultCode.FILE_TOO_LARGE);
  },
  'attachment storage (`BLOB_UPLOAD_AUTH`)': async (row) => shows(row.limit, `${defaultConfig.blobQuotaBytes.toLocaleString('en-US')} bytes of ciphertext per user (option \`blobQuotaBytes\`)`, 'blobQuotaBytes'),
  'group size, owner included': async (row) => shows(row.limit, `${defaultConfig.maxGroupSize} members (option \`maxGroupSize\`)`, 'maxGroupSize'),
  'SYNC and GROUP_MEMBERS page': async (row) => {
    shows(row.limit, `${defaultConfig.syncDefaultLimit} by default (option \`syncDefaultLimit\`)`, 'syncDefaultLimit');
    shows(row.limit, `at most ${defaultConfig.syncMaxLimit} (option \`syncMaxLimit\`; larger limits are clamped)`, 'syncMaxLimit');
  },
  'edit window': async (row) => shows(row.limit, `${defaultConfig.editWindowMs / 3600_000} hours (option \`editWindowMs\`)`, 'editWindowMs'),
  'edited text (`MESSAGE_EDIT.text`)': async (row) => {
    shows(row.limit, `0-${defaultConfig.maxTextLength} characters (option \`maxTextLength\`)`, 'maxTextLength');
    const [a, b] = await friends();
    const msg = await sendText(a, direct(b), 'to edit');
    const max = defaultConfig.maxTextLength;
    const edit = (text: string) => () => a.call(Command.MESSAGE_EDIT, { msgId: msg.msgId, text });
    await expectBoundary('edited text', [edit('字'.repeat(max)), edit('x')], [edit('字'.repeat(max + 1))], ResultCode.MESSAGE_TOO_LARGE);
    await expectBoundary('empty edit', [], [edit('')], ResultCode.INVALID_ARGUMENT);
  },
  'reactions (`MESSAGE_REACT`)': async (row) => {
    shows(row.limit, `${MAX_REACTIONS_PER_USER} per user and ${MAX_EMOJI_PER_MESSAGE} different emoji per message`, 'message-actions.ts');
    const [a, b] = await friends();
    const msg = await sendText(a, direct(b), 'react');
    const react = (emoji: string) => () => b.call(Command.MESSAGE_REACT, { msgId: msg.msgId, emoji, on: true });
    // The longest emoji, a family of four with skin tones, is one grapheme of 41 bytes; one grapheme of 68 bytes is refused.
    await expectBoundary('one emoji', [react('👨🏻‍👩🏻‍👧🏻‍👦🏻'), react('1️⃣')], [react('👍👍'), react('a'), react(`👍${'\u{1F3FB}'.repeat(16)}`)], ResultCode.INVALID_ARGUMENT);
    await expectBoundary('per user', [react('🇫🇷')], [react('🎉')], ResultCode.TOO_MANY_REACTIONS);
  },
  'recall window': async (row) => shows(row.limit, `${defaultConfig.recallWindowMs / 60_000} minutes (option \`recallWindowMs\`)`, 'recallWindowMs'),
  'handshake deadline': async (row) => shows(row.limit, `${defaultConfig.handshakeTimeoutMs / 1000} s (option \`handshakeTimeoutMs\``, 'handshakeTimeoutMs'),
  'idle connection': async (row) => shows(row.limit, `${defaultConfig.idleTimeoutMs / 1000} s without any frame (option \`idleTimeoutMs\`)`, 'idleTimeoutMs'),
  '`HandshakeRequest.client_name`': async (row) => {
    expect(row.limit).toMatch(/not checked/);
    const { connection, hello } = await connectSecure({ host: fixture.server.host, port: fixture.server.port, serverPublicKey: fixture.server.publicKey, hello: { protocolVersion: PROTOCOL_VERSION, clientName: '名'.repeat(10_000) } });
    expect(hello.protocolVersion).toBe(PROTOCOL_VERSION);
    connection.close();
  },
};

describe('docs/PROTOCOL.md §11 against the server', () => {
  const rows = documentedLimits();

  it('has a check here for every row, and a row for every check', () => {
    expect(rows.map((r) => r.what).sort()).toEqual(Object.keys(checks).sort());
  });

  for (const row of rows) {
    it(`${row.what}: ${row.limit}`, async () => {
      const check = checks[row.what];
      if (!check) throw new Error(`no check for the §11 row "${row.what}"`);
      await check(row);
    });
  }
});

describe('docs/PROTOCOL.md §11.1 shows the throttles the server applies by default', () => {
  const c = defaultConfig;
  const windowMin = c.loginThrottleWindowMs / 60_000;
  const expected: Record<string, string[]> = {
    '`MESSAGE_SEND`': [`${c.sendBurst} at once, then ${c.sendPerMinute} a minute (one every ${60_000 / c.sendPerMinute} ms)`],
    'wrong passwords (`LOGIN` with a password)': [`${c.loginFreeFailures} free, then a wait of ${c.loginBackoffBaseMs / 1000} s`, `up to ${c.loginBackoffMaxMs / 60_000} min`],
    'wrong passwords / account, from all addresses': [`${c.loginFailuresPerAccount} in ${windowMin} minutes`],
    'wrong passwords / client address, across accounts': [`${c.loginFailuresPerAddress} in ${windowMin} minutes`],
    '`REGISTER`': [`${c.registrationsPerAddress} in ${windowMin} minutes`],
    'requests awaiting their answer': [`${c.maxInFlightPerConnection} (a`, 'retry after `retry_after_ms` (100)'],
  };

  it('every row matches the defaults (server/config.ts)', () => {
    const rows = documentedThrottles();
    const keyed = rows.map((r) => (r.what === 'wrong passwords' ? `wrong passwords / ${r.per}` : r.what));
    expect(keyed.sort()).toEqual(Object.keys(expected).sort());
    for (const row of rows) {
      const key = row.what === 'wrong passwords' ? `wrong passwords / ${row.per}` : row.what;
      for (const text of expected[key]!) expect(`${row.per} ${row.limit} ${row.advice}`, key).toContain(text);
    }
  });
});

describe('docs/PROTOCOL.md §6.2 rules', () => {
  const fails = async (call: Promise<unknown>): Promise<RequestError> => {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof RequestError)) throw new Error(`expected an error answer, got ${String(err)}`);
    return err;
  };

  it('DeviceInfo is required for REGISTER and LOGIN', async () => {
    const c = await fixture.client();
    expect((await fails(c.call(Command.REGISTER, { username: fresh('nodev'), password: 'password123' }))).detail).toMatchObject({ code: ResultCode.INVALID_ARGUMENT, field: 'device' });
    const [a] = await friends();
    const login = { username: (await a.call(Command.PROFILE_GET, { userIds: [BigInt(a.userId)] })).profiles[0]!.username, credential: { case: 'password' as const, value: 'correct horse battery' } };
    expect((await fails(c.call(Command.LOGIN, login))).detail).toMatchObject({ code: ResultCode.INVALID_ARGUMENT, field: 'device' });
  });

  it('a device token works only with its device id; a password login on the device replaces it', async () => {
    const name = fresh('tok');
    const first = await fixture.user(name);
    const token = first.login!.deviceToken;
    const c = await fixture.client();
    const withToken = (deviceId: string, value = token) => c.call(Command.LOGIN, { username: name, credential: { case: 'deviceToken', value }, device: { deviceId } });
    expect((await fails(withToken('some-other-device'))).code).toBe(ResultCode.TOKEN_INVALID);
    await withToken(first.deviceId);
    await c.call(Command.LOGOUT, {});
    const renewed = await c.call(Command.LOGIN, { username: name, credential: { case: 'password', value: 'correct horse battery' }, device: { deviceId: first.deviceId } });
    expect(renewed.deviceToken).not.toBe(token);
    await c.call(Command.LOGOUT, {});
    expect((await fails(withToken(first.deviceId))).code).toBe(ResultCode.TOKEN_INVALID);
    await withToken(first.deviceId, renewed.deviceToken);
  });

  it('LOGOUT keeps the connection open: the session is anonymous again and may log in anew', async () => {
    const name = fresh('out');
    const c = await fixture.user(name);
    await c.call(Command.LOGOUT, {});
    expect(c.closed).toBe(false);
    expect((await fails(c.call(Command.SYNC, {}))).code).toBe(ResultCode.NOT_AUTHENTICATED);
    await c.call(Command.PING, { sentAt: 1n });
    await c.loginPassword(name);
    await c.call(Command.SYNC, {});
  });

  it('sending to yourself is refused with INVALID_ARGUMENT', async () => {
    const [a] = await friends();
    expect((await fails(sendText(a, direct(a), 'me'))).detail).toMatchObject({ code: ResultCode.INVALID_ARGUMENT, field: 'conversation.id' });
  });

  it('blocking ends the friendship both ways and declines an open request; unblocking does not restore it', async () => {
    const a = await fixture.user(fresh('blk_a'));
    const b = await fixture.user(fresh('blk_b'));
    const c = await fixture.user(fresh('blk_c'));
    await befriend(a, b);
    await c.call(Command.FRIEND_REQUEST, { target: { case: 'userId', value: BigInt(a.userId) } });
    await a.call(Command.FRIEND_BLOCK, { userId: BigInt(b.userId) });
    await a.call(Command.FRIEND_BLOCK, { userId: BigInt(c.userId) });
    const stateAt = async (viewer: TestClient, other: TestClient) => {
      const events = (await viewer.call(Command.SYNC, { limit: 1000 })).events;
      return events.flatMap((e) => (e.event.case === 'friend' && e.event.value.userId === BigInt(other.userId) ? [e.event.value.state] : [])).at(-1);
    };
    expect(await stateAt(a, b)).toBe(FriendState.BLOCKED);
    expect(await stateAt(b, a)).toBe(FriendState.REMOVED);
    expect((await fails(sendText(b, direct(a), 'hi'))).code).toBe(ResultCode.BLOCKED);
    const requests = (await c.call(Command.SYNC, { limit: 1000 })).events.filter((e) => e.event.case === 'friendRequest');
    expect(requests.at(-1)?.event.value).toMatchObject({ state: 3 }); // DECLINED
    await a.call(Command.FRIEND_UNBLOCK, { userId: BigInt(b.userId) });
    expect(await stateAt(a, b)).toBe(FriendState.REMOVED);
    expect((await fails(sendText(b, direct(a), 'hi'))).code).toBe(ResultCode.NOT_FRIENDS);
  });

  it('idempotent commands answer OK and change nothing', async () => {
    const [a, b] = await friends();
    const ack = await sendText(a, direct(b), 'once', { clientMsgId: 'idem-1' });
    const again = await sendText(a, direct(b), 'once', { clientMsgId: 'idem-1' });
    expect(again).toMatchObject({ msgId: ack.msgId, duplicate: true });
    await a.call(Command.MESSAGE_RECALL, { msgId: ack.msgId });
    await a.call(Command.MESSAGE_RECALL, { msgId: ack.msgId });
    const stranger = await fixture.user(fresh('idem'));
    await a.call(Command.FRIEND_UNBLOCK, { userId: BigInt(stranger.userId) });
    await a.call(Command.FRIEND_UNBLOCK, { userId: 999_999n });
    await a.call(Command.FRIEND_BLOCK, { userId: BigInt(stranger.userId) });
    await a.call(Command.FRIEND_BLOCK, { userId: BigInt(stranger.userId) });
  });
});

describe('limits are clamped, not refused', () => {
  const small = serverFixture({ syncDefaultLimit: 3, syncMaxLimit: 5, sendBurst: 100_000 });

  it('SYNC and GROUP_MEMBERS: 0 means the default, anything above the maximum is the maximum', async () => {
    const a = await small.user('clamp_a');
    const friendsOfA: TestClient[] = [];
    for (let i = 0; i < 6; i++) {
      const f = await small.user(`clamp_f${i}`);
      await befriend(a, f);
      friendsOfA.push(f);
    }
    const count = async (command: RequestCommand, payload: object) => {
      const res = (await a.call(command as never, payload as never)) as { events?: unknown[]; members?: unknown[] };
      return (res.events ?? res.members)!.length;
    };
    expect(await count(Command.SYNC, { limit: 0 })).toBe(3);
    expect(await count(Command.SYNC, { limit: 1_000_000 })).toBe(5);
    const groupId = (await a.call(Command.GROUP_CREATE, { name: 'clamp', memberIds: friendsOfA.map((f) => BigInt(f.userId)) })).groupId;
    expect(await count(Command.GROUP_MEMBERS, { groupId, limit: 0 })).toBe(3);
    expect(await count(Command.GROUP_MEMBERS, { groupId, limit: 4_000_000_000 })).toBe(5);
  });
});
