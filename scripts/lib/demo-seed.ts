/**
 * Demo data for `npm run demo`: alice, bob and carol (one known password),
 * all friends, a group, and some history in Chinese and English. Idempotent:
 * existing accounts log in, existing friendships and the group are reused,
 * and history is only written once.
 */
import type { ClientCore } from '../../electron/core';
import type { ConversationKey, Session } from '../../shared/ipc';

export const demoPassword = 'tern-demo';
export const demoUsers = [
  { username: 'alice', nickname: 'Alice 爱丽丝' },
  { username: 'bob', nickname: 'Bob 鲍勃' },
  { username: 'carol', nickname: 'Carol 卡罗' },
] as const;
export const demoGroupName = 'Tern 周末爬山 / Weekend hike';

async function waitFor<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`demo seed: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function signIn(core: ClientCore, username: string, nickname: string): Promise<Session> {
  try {
    return await core.login({ username, password: demoPassword });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'BAD_CREDENTIALS' && code !== 'NOT_FOUND' && code !== 'USER_NOT_FOUND') throw error;
    return core.register({ username, password: demoPassword, nickname });
  }
}

async function befriend(a: ClientCore, sa: Session, b: ClientCore, sb: Session): Promise<void> {
  const friends = await a.listFriends({});
  if (friends.some((f) => f.userId === sb.profile.userId && f.state === 'friend')) return;
  await a.sendFriendRequest({ userId: sb.profile.userId, message: 'Hi! 我们加个好友吧' });
  const request = await waitFor(
    async () => (await b.listFriendRequests({})).find((r) => r.direction === 'incoming' && r.user.userId === sa.profile.userId && r.state === 'pending'),
    'friend request',
  );
  await b.acceptFriendRequest({ requestId: request.id });
  await waitFor(async () => (await a.listFriends({})).some((f) => f.userId === sb.profile.userId && f.state === 'friend'), 'friendship');
}

async function say(core: ClientCore, key: ConversationKey, text: string): Promise<void> {
  const sent = await core.sendMessage({ key, text });
  await waitFor(async () => (await core.loadMessages({ key })).messages.find((m) => m.id === sent.id && m.status !== 'pending'), 'message ack');
}

/** Seeds the demo on `cores` (alice, bob, carol in that order). Returns their sessions. */
export async function seedDemo(cores: readonly [ClientCore, ClientCore, ClientCore]): Promise<Session[]> {
  const sessions: Session[] = [];
  for (const [i, user] of demoUsers.entries()) sessions.push(await signIn(cores[i]!, user.username, user.nickname));
  for (const core of cores) await waitFor(async () => (await core.getConnectionStatus({})).state === 'online', 'online');
  const [alice, bob, carol] = cores;
  const [sa, sb, sc] = sessions as [Session, Session, Session];
  await befriend(alice, sa, bob, sb);
  await befriend(alice, sa, carol, sc);
  await befriend(bob, sb, carol, sc);

  const existing = await alice.listConversations({});
  if (existing.items.some((c) => c.lastMessage)) return sessions; // history already there

  const ab: ConversationKey = `u:${sb.profile.userId}`;
  const ba: ConversationKey = `u:${sa.profile.userId}`;
  const ac: ConversationKey = `u:${sc.profile.userId}`;
  await say(alice, ab, '你好，鲍勃！周末有空吗？');
  await say(bob, ba, 'Hi Alice! 有空，有什么计划？');
  await say(alice, ab, '想去香山爬山，顺便拍红叶。Want to join?');
  await say(bob, ba, 'Sounds great. 几点出发？');
  await say(alice, ac, 'Carol, the slides for Monday are ready — 我发到群里了。');

  const group = (await alice.listGroups({})).find((g) => g.name === demoGroupName && !g.dissolved) ?? (await alice.createGroup({ name: demoGroupName, memberIds: [sb.profile.userId, sc.profile.userId] }));
  const gk: ConversationKey = `g:${group.id}`;
  await waitFor(async () => (await carol.listGroups({})).some((g) => g.id === group.id), 'group at carol');
  await say(alice, gk, '大家好！This Saturday, 8:00 at the east gate 东门见。');
  await say(carol, gk, '没问题，我带水和零食 🍎');
  await say(bob, gk, "I'll bring the camera. 天气预报说是晴天！");
  return sessions;
}
