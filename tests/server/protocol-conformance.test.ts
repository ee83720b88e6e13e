// docs/PROTOCOL.md §6 held against a real server: every error code the table lists for a command is produced by a
// probe here, and every answer the probes get is listed (for that command or as a general code). A code the server
// starts answering, or one the table promises and the server no longer gives, fails this test, so the table cannot
// drift from the code again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AttachmentKind, Command, GroupRole, requestSpecs, ResultCode, type LastSeenVisibility, type RequestCommand } from '../../shared/protocol';
import { cipherSize } from '../../shared/attachments/format';
import { EncryptStream } from '../../shared/node/attachments/file-cipher';
import { setUserDisabled } from '../../server/services/admin';
import { RequestError, TestClient } from './helpers/client';
import { documentedErrorCodes, generalCodes } from './helpers/protocol-doc';
import { serverFixture } from './helpers/server';
import { befriend, direct, group, sendText } from './helpers/social';
import { openServerStore } from './helpers/store';
import { relayFrom, type SourceRelay } from './helpers/source-address';

/** Time stands still unless a probe moves it (the recall window, the throttles). */
const clock = { t: 1_800_000_000_000, now: () => clock.t };
const fixture = serverFixture(
  {
    maxGroupSize: 3,
    recallWindowMs: 60_000,
    editWindowMs: 60_000,
    sendBurst: 40,
    sendPerMinute: 1,
    registrationsPerAddress: 60,
    idleTimeoutMs: 24 * 3600_000,
    maxAttachmentBytes: 100_000,
    blobQuotaBytes: 150_000,
  },
  clock,
);

const NOBODY = 999_999n;

interface World {
  alice: TestClient; // the main actor
  bob: TestClient; // alice's friend; member of G
  carol: TestClient; // a stranger to alice; owns H, which alice is not in
  dave: TestClient; // was alice's friend, then blocked her
  erin: TestClient; // alice's friend; admin of G
  yuri: TestClient; // alice's friend, not in G
  g: bigint; // alice (owner), bob (member), erin (admin): full (maxGroupSize 3)
  h: bigint; // carol's group
  k: bigint; // alice's group; bob was removed from it after writing in it
  x: bigint; // dissolved
  bobToAlice: bigint; // a 1:1 message from bob
  bobInK: bigint; // bob's message in k
  aliceInX: bigint; // alice's message in the dissolved group
  aliceOld: bigint; // alice's 1:1 message, older than the recall window
  pendingFromCarol: bigint; // carol -> erin, open
}

let w: World;
let relay: SourceRelay;

beforeAll(async () => {
  relay = await relayFrom('127.0.0.3', fixture.server);
  const u = (name: string) => fixture.user(`cf_${name}`);
  const [alice, bob, carol, dave, erin, yuri] = await Promise.all([u('alice'), u('bob'), u('carol'), u('dave'), u('erin'), u('yuri')]);
  for (const friend of [bob, dave, erin, yuri]) await befriend(alice, friend);
  await dave.call(Command.FRIEND_BLOCK, { userId: BigInt(alice.userId) });
  const g = (await alice.call(Command.GROUP_CREATE, { name: 'G', memberIds: [BigInt(bob.userId), BigInt(erin.userId)] })).groupId;
  await alice.call(Command.GROUP_SET_ROLE, { groupId: g, userId: BigInt(erin.userId), role: GroupRole.ADMIN });
  const h = (await carol.call(Command.GROUP_CREATE, { name: 'H', memberIds: [] })).groupId;
  const k = (await alice.call(Command.GROUP_CREATE, { name: 'K', memberIds: [BigInt(bob.userId)] })).groupId;
  const bobInK = (await sendText(bob, group(k), 'in k')).msgId;
  await alice.call(Command.GROUP_REMOVE, { groupId: k, userIds: [BigInt(bob.userId)] });
  const x = (await alice.call(Command.GROUP_CREATE, { name: 'X', memberIds: [BigInt(bob.userId)] })).groupId;
  const aliceInX = (await sendText(alice, group(x), 'in x')).msgId;
  await alice.call(Command.GROUP_DISSOLVE, { groupId: x });
  const bobToAlice = (await sendText(bob, direct(alice), 'from bob')).msgId;
  const aliceOld = (await sendText(alice, direct(bob), 'old')).msgId;
  clock.t += 61_000; // aliceOld leaves the recall window
  const pendingFromCarol = (await carol.call(Command.FRIEND_REQUEST, { target: { case: 'userId', value: BigInt(erin.userId) } })).requestId;
  w = { alice, bob, carol, dave, erin, yuri, g, h, k, x, bobToAlice, bobInK, aliceInX, aliceOld, pendingFromCarol };
});

afterAll(() => relay.close());

/** Every answer the probes got: "COMMAND CODE". */
const observed = new Set<string>();

/** The code a call is answered with (OK included), recorded. */
async function codeOf(command: RequestCommand, call: Promise<unknown>): Promise<ResultCode> {
  let code: ResultCode;
  try {
    await call;
    code = ResultCode.OK;
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    code = err.code;
  }
  observed.add(`${Command[command]} ${ResultCode[code]}`);
  return code;
}

type Probe = () => Promise<ResultCode>;

/** A probe: `c` sends `command` with `payload` (both read when the probe runs, after the world is built). */
function ask<C extends RequestCommand>(c: () => TestClient, command: C, payload: () => Parameters<TestClient['call']>[1]): Probe {
  return () => codeOf(command, c().call(command as never, payload() as never));
}

const id = (c: TestClient) => BigInt(c.userId);
const anon = () => fixture.client();

/** A probe that runs `run` (which may prepare state first); the code its promise settles with counts. */
function steps(command: RequestCommand, run: () => Promise<unknown>): Probe {
  return () => codeOf(command, run());
}

/** An attachment naming a blob nobody uploaded. */
function attachment(size: number) {
  return { kind: AttachmentKind.FILE, blob: { digest: 'ab'.repeat(32), cipherSize: BigInt(cipherSize(size)), key: new Uint8Array(32) }, size: BigInt(size), name: 'a.bin', mime: 'application/octet-stream' };
}

const probes: Partial<Record<RequestCommand, Partial<Record<ResultCode, Probe>>>> = {
  [Command.BLOB_UPLOAD_AUTH]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.BLOB_UPLOAD_AUTH, () => ({ digest: 'not hex', cipherSize: 64n, plainSize: 16n })),
    [ResultCode.FILE_TOO_LARGE]: ask(() => w.alice, Command.BLOB_UPLOAD_AUTH, () => ({ digest: 'cd'.repeat(32), cipherSize: BigInt(cipherSize(100_001)), plainSize: 100_001n })),
    [ResultCode.QUOTA_EXCEEDED]: async () => {
      // Two files of 80 KB: the second passes the per-file limit but not the 150 KB quota. The first must really be stored.
      const plain = Buffer.alloc(80_000, 7);
      const key = new Uint8Array(32).fill(1);
      const parts: Buffer[] = [];
      for await (const part of Readable.from([plain]).pipe(new EncryptStream(key))) parts.push(part as Buffer);
      const sealed = Buffer.concat(parts);
      const digest = createHash('sha256').update(sealed).digest('hex');
      const auth = await w.yuri.call(Command.BLOB_UPLOAD_AUTH, { digest, cipherSize: BigInt(sealed.length), plainSize: BigInt(plain.length) });
      const headers = { 'Tus-Resumable': '1.0.0', Authorization: `Bearer ${auth.token}` };
      await fetch(auth.uploadUrl, { method: 'POST', headers: { ...headers, 'Upload-Length': String(sealed.length) } });
      await fetch(auth.resumeUrl, { method: 'PATCH', headers: { ...headers, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }, body: sealed });
      return codeOf(Command.BLOB_UPLOAD_AUTH, w.yuri.call(Command.BLOB_UPLOAD_AUTH, { digest: 'ef'.repeat(32), cipherSize: BigInt(cipherSize(80_000)), plainSize: 80_000n }));
    },
  },
  [Command.BLOB_DOWNLOAD_AUTH]: {
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.BLOB_DOWNLOAD_AUTH, () => ({ digest: 'ab'.repeat(32) })),
  },
  [Command.REGISTER]: {
    [ResultCode.INVALID_ARGUMENT]: steps(Command.REGISTER, async () => (await anon()).call(Command.REGISTER, { username: 'ab', password: 'password123', device: { deviceId: 'd' } })),
    [ResultCode.USERNAME_TAKEN]: steps(Command.REGISTER, async () => (await anon()).call(Command.REGISTER, { username: 'cf_alice', password: 'password123', device: { deviceId: 'd' } })),
    [ResultCode.ALREADY_AUTHENTICATED]: ask(() => w.alice, Command.REGISTER, () => ({ username: 'cf_again', password: 'password123', device: { deviceId: 'd' } })),
    [ResultCode.RATE_LIMITED]: async () => {
      // Registrations per address (60 here), from an address of its own so the other probes can still register.
      for (let i = 0; i < 61; i++) {
        const c = fixture.track(await TestClient.connect({ host: '127.0.0.1', port: relay.port, publicKey: fixture.server.publicKey }));
        const code = await codeOf(Command.REGISTER, c.call(Command.REGISTER, { username: `cf_many${i}`, password: 'password123', device: { deviceId: 'd' } }));
        if (code !== ResultCode.OK) return code;
      }
      return ResultCode.OK;
    },
  },
  [Command.LOGIN]: {
    [ResultCode.INVALID_ARGUMENT]: steps(Command.LOGIN, async () => (await anon()).call(Command.LOGIN, { username: 'cf_alice', credential: { case: 'password', value: 'correct horse battery' } })),
    [ResultCode.BAD_CREDENTIALS]: steps(Command.LOGIN, async () => (await anon()).call(Command.LOGIN, { username: 'cf_yuri', credential: { case: 'password', value: 'wrong' }, device: { deviceId: 'd' } })),
    [ResultCode.TOKEN_INVALID]: steps(Command.LOGIN, async () =>
      // A real token, but of another device: tokens are bound to their device id.
      (await anon()).call(Command.LOGIN, { username: 'cf_alice', credential: { case: 'deviceToken', value: w.alice.login!.deviceToken }, device: { deviceId: 'another-device' } }),
    ),
    [ResultCode.ACCOUNT_DISABLED]: async () => {
      await fixture.user('cf_frank');
      const store = await openServerStore(fixture.server);
      await setUserDisabled(store, 'cf_frank', true);
      await store.close();
      const c = await anon();
      return codeOf(Command.LOGIN, c.call(Command.LOGIN, { username: 'cf_frank', credential: { case: 'password', value: 'correct horse battery' }, device: { deviceId: 'd' } }));
    },
    [ResultCode.ALREADY_AUTHENTICATED]: ask(() => w.alice, Command.LOGIN, () => ({ username: 'cf_alice', credential: { case: 'password', value: 'correct horse battery' }, device: { deviceId: 'd' } })),
    [ResultCode.RATE_LIMITED]: async () => {
      const c = await anon();
      const wrong = { username: 'cf_erin', credential: { case: 'password' as const, value: 'wrong' }, device: { deviceId: 'd' } };
      for (let i = 0; i < 3; i++) await codeOf(Command.LOGIN, c.call(Command.LOGIN, wrong));
      return codeOf(Command.LOGIN, c.call(Command.LOGIN, wrong));
    },
  },
  [Command.MESSAGE_SEND]: {
    [ResultCode.BLOB_NOT_UPLOADED]: ask(() => w.alice, Command.MESSAGE_SEND, () => ({ to: direct(w.bob), clientMsgId: 'no-blob', text: '', attachments: [attachment(1000)] })),
    [ResultCode.FILE_TOO_LARGE]: ask(() => w.alice, Command.MESSAGE_SEND, () => ({ to: direct(w.bob), clientMsgId: 'big-file', text: '', attachments: [attachment(100_001)] })),
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.MESSAGE_SEND, () => ({ to: direct(w.alice), clientMsgId: 'self', text: 'to myself' })),
    [ResultCode.MESSAGE_TOO_LARGE]: ask(() => w.alice, Command.MESSAGE_SEND, () => ({ to: direct(w.bob), clientMsgId: 'long', text: 'x'.repeat(8001) })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.MESSAGE_SEND, () => ({ to: direct(Number(NOBODY)), clientMsgId: 'nobody', text: 'hi' })),
    [ResultCode.NOT_FRIENDS]: ask(() => w.alice, Command.MESSAGE_SEND, () => ({ to: direct(w.carol), clientMsgId: 'stranger', text: 'hi' })),
    [ResultCode.BLOCKED]: ask(() => w.alice, Command.MESSAGE_SEND, () => ({ to: direct(w.dave), clientMsgId: 'blocked', text: 'hi' })),
    [ResultCode.NOT_MEMBER]: ask(() => w.alice, Command.MESSAGE_SEND, () => ({ to: group(w.h), clientMsgId: 'not-in-h', text: 'hi' })),
    [ResultCode.GROUP_DISSOLVED]: ask(() => w.alice, Command.MESSAGE_SEND, () => ({ to: group(w.x), clientMsgId: 'in-x', text: 'hi' })),
    [ResultCode.PERMISSION_DENIED]: ask(() => w.bob, Command.MESSAGE_SEND, () => ({ to: group(w.g), clientMsgId: 'at-all', text: '@all', mentions: [{ userId: 0n }] })),
    [ResultCode.RATE_LIMITED]: async () => {
      // The token is taken before anything else is checked: 40 refused sends spend the burst of a fresh account.
      const spammer = await fixture.user('cf_spammer');
      for (let i = 0; i < 40; i++) await codeOf(Command.MESSAGE_SEND, spammer.call(Command.MESSAGE_SEND, { to: direct(w.alice), clientMsgId: `s${i}`, text: '' }));
      return codeOf(Command.MESSAGE_SEND, spammer.call(Command.MESSAGE_SEND, { to: direct(w.alice), clientMsgId: 's-last', text: 'hi' }));
    },
  },
  [Command.MESSAGE_EDIT]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.MESSAGE_EDIT, () => ({ msgId: 0n, text: 'x' })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.MESSAGE_EDIT, () => ({ msgId: NOBODY, text: 'x' })),
    [ResultCode.PERMISSION_DENIED]: ask(() => w.alice, Command.MESSAGE_EDIT, () => ({ msgId: w.bobToAlice, text: 'not mine' })),
    [ResultCode.EDIT_WINDOW_EXPIRED]: ask(() => w.alice, Command.MESSAGE_EDIT, () => ({ msgId: w.aliceOld, text: 'too late' })),
    [ResultCode.MESSAGE_TOO_LARGE]: ask(() => w.bob, Command.MESSAGE_EDIT, () => ({ msgId: w.bobToAlice, text: 'x'.repeat(8001) })),
    [ResultCode.NOT_MEMBER]: ask(() => w.bob, Command.MESSAGE_EDIT, () => ({ msgId: w.bobInK, text: 'x' })),
    [ResultCode.GROUP_DISSOLVED]: ask(() => w.alice, Command.MESSAGE_EDIT, () => ({ msgId: w.aliceInX, text: 'x' })),
  },
  [Command.MESSAGE_REACT]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.MESSAGE_REACT, () => ({ msgId: w.bobToAlice, emoji: 'ok', on: true })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.MESSAGE_REACT, () => ({ msgId: NOBODY, emoji: '👍', on: true })),
    [ResultCode.TOO_MANY_REACTIONS]: steps(Command.MESSAGE_REACT, async () => {
      for (const emoji of ['👍', '❤️', '😂']) await w.alice.call(Command.MESSAGE_REACT, { msgId: w.bobToAlice, emoji, on: true });
      return w.alice.call(Command.MESSAGE_REACT, { msgId: w.bobToAlice, emoji: '🎉', on: true });
    }),
    [ResultCode.NOT_MEMBER]: ask(() => w.bob, Command.MESSAGE_REACT, () => ({ msgId: w.bobInK, emoji: '👍', on: true })),
    [ResultCode.GROUP_DISSOLVED]: ask(() => w.alice, Command.MESSAGE_REACT, () => ({ msgId: w.aliceInX, emoji: '👍', on: true })),
  },
  [Command.MESSAGE_HIDE]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.MESSAGE_HIDE, () => ({ msgId: 0n })),
    [ResultCode.NOT_FOUND]: ask(() => w.carol, Command.MESSAGE_HIDE, () => ({ msgId: w.bobToAlice })),
  },
  [Command.DEVICE_SIGN_OUT]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.DEVICE_SIGN_OUT, () => ({ deviceId: w.alice.deviceId })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.DEVICE_SIGN_OUT, () => ({ deviceId: 'no-such-device' })),
  },
  [Command.CONVERSATION_SETTINGS_SET]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.CONVERSATION_SETTINGS_SET, () => ({ conversation: direct(w.bob) })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.CONVERSATION_SETTINGS_SET, () => ({ conversation: group(NOBODY), pinned: true })),
  },
  [Command.PRIVACY_SET]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.PRIVACY_SET, () => ({ lastSeen: 9 as LastSeenVisibility })),
  },
  [Command.MESSAGE_RECALL]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.MESSAGE_RECALL, () => ({ msgId: 0n })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.MESSAGE_RECALL, () => ({ msgId: NOBODY })),
    [ResultCode.PERMISSION_DENIED]: ask(() => w.alice, Command.MESSAGE_RECALL, () => ({ msgId: w.bobToAlice })),
    [ResultCode.RECALL_WINDOW_EXPIRED]: ask(() => w.alice, Command.MESSAGE_RECALL, () => ({ msgId: w.aliceOld })),
    [ResultCode.NOT_MEMBER]: ask(() => w.bob, Command.MESSAGE_RECALL, () => ({ msgId: w.bobInK })),
    [ResultCode.GROUP_DISSOLVED]: ask(() => w.alice, Command.MESSAGE_RECALL, () => ({ msgId: w.aliceInX })),
  },
  [Command.SYNC]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.SYNC, () => ({ cursor: 1_000_000_000n })),
  },
  [Command.MARK_READ]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.MARK_READ, () => ({ conversation: direct(w.alice), upToConvSeq: 1n })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.MARK_READ, () => ({ conversation: direct(w.carol), upToConvSeq: 1n })),
    [ResultCode.NOT_MEMBER]: ask(() => w.alice, Command.MARK_READ, () => ({ conversation: group(w.h), upToConvSeq: 1n })),
    [ResultCode.GROUP_DISSOLVED]: ask(() => w.alice, Command.MARK_READ, () => ({ conversation: group(w.x), upToConvSeq: 1n })),
  },
  [Command.TYPING]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.TYPING, () => ({ typing: true })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.TYPING, () => ({ conversation: direct(Number(NOBODY)), typing: true })),
    [ResultCode.NOT_FRIENDS]: ask(() => w.alice, Command.TYPING, () => ({ conversation: direct(w.carol), typing: true })),
    [ResultCode.BLOCKED]: ask(() => w.alice, Command.TYPING, () => ({ conversation: direct(w.dave), typing: true })),
    [ResultCode.NOT_MEMBER]: ask(() => w.alice, Command.TYPING, () => ({ conversation: group(w.h), typing: true })),
    [ResultCode.GROUP_DISSOLVED]: ask(() => w.alice, Command.TYPING, () => ({ conversation: group(w.x), typing: true })),
  },
  [Command.PRESENCE_QUERY]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.PRESENCE_QUERY, () => ({ userIds: Array.from({ length: 1001 }, (_, i) => BigInt(i + 1)) })),
  },
  [Command.FRIEND_REQUEST]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.FRIEND_REQUEST, () => ({ target: { case: 'userId', value: BigInt(0) } })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.FRIEND_REQUEST, () => ({ target: { case: 'username', value: 'cf_nobody' } })),
    [ResultCode.ALREADY_FRIENDS]: ask(() => w.alice, Command.FRIEND_REQUEST, () => ({ target: { case: 'userId', value: id(w.bob) } })),
    [ResultCode.REQUEST_PENDING]: ask(() => w.erin, Command.FRIEND_REQUEST, () => ({ target: { case: 'username', value: 'cf_carol' } })),
    [ResultCode.BLOCKED]: ask(() => w.alice, Command.FRIEND_REQUEST, () => ({ target: { case: 'username', value: 'cf_dave' } })),
  },
  [Command.FRIEND_ACCEPT]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.erin, Command.FRIEND_ACCEPT, () => ({ requestId: 0n })),
    [ResultCode.NOT_FOUND]: ask(() => w.carol, Command.FRIEND_ACCEPT, () => ({ requestId: w.pendingFromCarol })), // not addressed to carol
  },
  [Command.FRIEND_DECLINE]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.erin, Command.FRIEND_DECLINE, () => ({ requestId: 0n })),
    [ResultCode.NOT_FOUND]: ask(() => w.erin, Command.FRIEND_DECLINE, () => ({ requestId: NOBODY })),
  },
  [Command.FRIEND_REMOVE]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.FRIEND_REMOVE, () => ({ userId: 0n })),
    [ResultCode.NOT_FRIENDS]: ask(() => w.alice, Command.FRIEND_REMOVE, () => ({ userId: NOBODY })),
  },
  [Command.FRIEND_BLOCK]: {
    [ResultCode.INVALID_ARGUMENT]: steps(Command.FRIEND_BLOCK, async () => w.alice.call(Command.FRIEND_BLOCK, { userId: id(w.alice) })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.FRIEND_BLOCK, () => ({ userId: NOBODY })),
  },
  [Command.FRIEND_UNBLOCK]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.FRIEND_UNBLOCK, () => ({ userId: 0n })),
  },
  [Command.PROFILE_GET]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.PROFILE_GET, () => ({ userIds: Array.from({ length: 501 }, (_, i) => BigInt(i + 1)) })),
  },
  [Command.PROFILE_UPDATE]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.PROFILE_UPDATE, () => ({ nickname: '' })),
  },
  [Command.USER_SEARCH]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.USER_SEARCH, () => ({ username: '  ' })),
  },
  [Command.GROUP_CREATE]: {
    [ResultCode.INVALID_ARGUMENT]: ask(() => w.alice, Command.GROUP_CREATE, () => ({ name: '   ' })),
    [ResultCode.NOT_FRIENDS]: steps(Command.GROUP_CREATE, async () => w.alice.call(Command.GROUP_CREATE, { name: 'with a stranger', memberIds: [id(w.carol)] })),
    [ResultCode.GROUP_FULL]: steps(Command.GROUP_CREATE, async () => w.alice.call(Command.GROUP_CREATE, { name: 'too big', memberIds: [id(w.bob), id(w.erin), id(w.yuri)] })),
  },
  [Command.GROUP_RENAME]: {
    [ResultCode.INVALID_ARGUMENT]: steps(Command.GROUP_RENAME, async () => w.alice.call(Command.GROUP_RENAME, { groupId: w.g, name: '' })),
    [ResultCode.NOT_FOUND]: ask(() => w.alice, Command.GROUP_RENAME, () => ({ groupId: NOBODY, name: 'n' })),
    [ResultCode.NOT_MEMBER]: steps(Command.GROUP_RENAME, async () => w.alice.call(Command.GROUP_RENAME, { groupId: w.h, name: 'n' })),
    [ResultCode.PERMISSION_DENIED]: steps(Command.GROUP_RENAME, async () => w.bob.call(Command.GROUP_RENAME, { groupId: w.g, name: 'n' })),
    [ResultCode.GROUP_DISSOLVED]: steps(Command.GROUP_RENAME, async () => w.alice.call(Command.GROUP_RENAME, { groupId: w.x, name: 'n' })),
  },
  [Command.GROUP_INVITE]: {
    [ResultCode.INVALID_ARGUMENT]: steps(Command.GROUP_INVITE, async () => w.alice.call(Command.GROUP_INVITE, { groupId: w.g, userIds: [] })),
    [ResultCode.NOT_FOUND]: steps(Command.GROUP_INVITE, async () => w.alice.call(Command.GROUP_INVITE, { groupId: NOBODY, userIds: [id(w.yuri)] })),
    [ResultCode.NOT_MEMBER]: steps(Command.GROUP_INVITE, async () => w.alice.call(Command.GROUP_INVITE, { groupId: w.h, userIds: [id(w.yuri)] })),
    [ResultCode.PERMISSION_DENIED]: steps(Command.GROUP_INVITE, async () => w.bob.call(Command.GROUP_INVITE, { groupId: w.g, userIds: [id(w.alice)] })),
    [ResultCode.GROUP_DISSOLVED]: steps(Command.GROUP_INVITE, async () => w.alice.call(Command.GROUP_INVITE, { groupId: w.x, userIds: [id(w.yuri)] })),
    [ResultCode.ALREADY_MEMBER]: steps(Command.GROUP_INVITE, async () => w.alice.call(Command.GROUP_INVITE, { groupId: w.g, userIds: [id(w.bob)] })),
    [ResultCode.NOT_FRIENDS]: steps(Command.GROUP_INVITE, async () => w.alice.call(Command.GROUP_INVITE, { groupId: w.k, userIds: [id(w.carol)] })),
    [ResultCode.GROUP_FULL]: steps(Command.GROUP_INVITE, async () => w.alice.call(Command.GROUP_INVITE, { groupId: w.g, userIds: [id(w.yuri)] })),
  },
  [Command.GROUP_REMOVE]: {
    [ResultCode.INVALID_ARGUMENT]: steps(Command.GROUP_REMOVE, async () => w.alice.call(Command.GROUP_REMOVE, { groupId: w.g, userIds: [] })),
    [ResultCode.NOT_FOUND]: steps(Command.GROUP_REMOVE, async () => w.alice.call(Command.GROUP_REMOVE, { groupId: w.g, userIds: [id(w.carol)] })),
    [ResultCode.NOT_MEMBER]: steps(Command.GROUP_REMOVE, async () => w.alice.call(Command.GROUP_REMOVE, { groupId: w.h, userIds: [id(w.carol)] })),
    [ResultCode.PERMISSION_DENIED]: steps(Command.GROUP_REMOVE, async () => w.erin.call(Command.GROUP_REMOVE, { groupId: w.g, userIds: [id(w.alice)] })),
    [ResultCode.GROUP_DISSOLVED]: steps(Command.GROUP_REMOVE, async () => w.alice.call(Command.GROUP_REMOVE, { groupId: w.x, userIds: [id(w.bob)] })),
  },
  [Command.GROUP_LEAVE]: groupRefProbes(Command.GROUP_LEAVE, () => w.alice, () => w.g),
  [Command.GROUP_DISSOLVE]: groupRefProbes(Command.GROUP_DISSOLVE, () => w.erin, () => w.g),
  [Command.GROUP_SET_ROLE]: {
    [ResultCode.INVALID_ARGUMENT]: steps(Command.GROUP_SET_ROLE, async () => w.alice.call(Command.GROUP_SET_ROLE, { groupId: w.g, userId: id(w.alice), role: GroupRole.ADMIN })),
    [ResultCode.NOT_FOUND]: steps(Command.GROUP_SET_ROLE, async () => w.alice.call(Command.GROUP_SET_ROLE, { groupId: w.g, userId: id(w.carol), role: GroupRole.ADMIN })),
    [ResultCode.NOT_MEMBER]: steps(Command.GROUP_SET_ROLE, async () => w.alice.call(Command.GROUP_SET_ROLE, { groupId: w.h, userId: id(w.carol), role: GroupRole.ADMIN })),
    [ResultCode.PERMISSION_DENIED]: steps(Command.GROUP_SET_ROLE, async () => w.erin.call(Command.GROUP_SET_ROLE, { groupId: w.g, userId: id(w.bob), role: GroupRole.ADMIN })),
    [ResultCode.GROUP_DISSOLVED]: steps(Command.GROUP_SET_ROLE, async () => w.alice.call(Command.GROUP_SET_ROLE, { groupId: w.x, userId: id(w.bob), role: GroupRole.ADMIN })),
  },
  [Command.GROUP_MEMBERS]: groupRefProbes(Command.GROUP_MEMBERS, undefined, undefined),
  [Command.GROUP_GET]: groupRefProbes(Command.GROUP_GET, undefined, undefined),
  [Command.GROUP_READS]: groupRefProbes(Command.GROUP_READS, undefined, undefined),
};

/** The codes every command on a group ref shares; PERMISSION_DENIED when `weak` may not do it to `groupId`. */
function groupRefProbes(command: typeof Command.GROUP_LEAVE | typeof Command.GROUP_DISSOLVE | typeof Command.GROUP_MEMBERS | typeof Command.GROUP_GET | typeof Command.GROUP_READS, weak: (() => TestClient) | undefined, groupId: (() => bigint) | undefined) {
  const call = (c: () => TestClient, g: () => bigint) => steps(command, async () => c().call(command as never, { groupId: g() } as never));
  return {
    [ResultCode.INVALID_ARGUMENT]: call(() => w.alice, () => 0n),
    [ResultCode.NOT_FOUND]: call(() => w.alice, () => NOBODY),
    [ResultCode.NOT_MEMBER]: call(() => w.alice, () => w.h),
    [ResultCode.GROUP_DISSOLVED]: call(() => w.alice, () => w.x),
    ...(weak && groupId ? { [ResultCode.PERMISSION_DENIED]: call(weak, groupId) } : {}),
  };
}

describe('docs/PROTOCOL.md §6 against the server', () => {
  const documented = documentedErrorCodes();
  const general = generalCodes();

  it('reads the table: a row for every request command, and the general codes', () => {
    expect([...documented.keys()].map((c) => Command[c]).sort()).toEqual(Object.keys(requestSpecs).map((c) => Command[Number(c)]).sort());
    expect([...general].map((c) => ResultCode[c]).sort()).toEqual(['INTERNAL', 'NOT_AUTHENTICATED', 'RATE_LIMITED', 'SHUTTING_DOWN', 'UNAVAILABLE']);
  });

  it('every code listed for a command has a probe here, and every probe is for a listed code', () => {
    const listed = [...documented].flatMap(([command, codes]) => [...codes].map((code) => `${Command[command]} ${ResultCode[code]}`)).sort();
    const probed = Object.entries(probes)
      .flatMap(([command, byCode]) => Object.keys(byCode ?? {}).map((code) => `${Command[Number(command)]} ${ResultCode[Number(code)]}`))
      .sort();
    expect(probed).toEqual(listed);
  });

  // One test per (command, code), in the table's order: the probe must get exactly that code.
  for (const [command, codes] of documentedErrorCodes()) {
    for (const code of codes) {
      it(`${Command[command]} answers ${ResultCode[code]}`, async () => {
        const probe = probes[command]?.[code];
        if (!probe) throw new Error(`no probe for ${Command[command]} ${ResultCode[code]}`);
        expect(ResultCode[await probe()]).toBe(ResultCode[code]);
      });
    }
  }

  it('every answer the probes got is listed for its command or is a general code', () => {
    const unlisted = [...observed].filter((entry) => {
      const [commandName, codeName] = entry.split(' ') as [string, string];
      const code = (ResultCode as unknown as Record<string, ResultCode>)[codeName]!;
      const command = (Command as unknown as Record<string, RequestCommand>)[commandName]!;
      return code !== ResultCode.OK && !general.has(code) && !documented.get(command)?.has(code);
    });
    expect(observed.size).toBeGreaterThan(90);
    expect(unlisted).toEqual([]);
  });
});
