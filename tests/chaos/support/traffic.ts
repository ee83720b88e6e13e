/** Traffic for chaos scenarios: bursts of unique, recognisable messages over direct chats and the group. */
import type { Rng } from '../../shared/support/fuzz';
import type { World } from './world';

let counter = 0;

/** Mixed English and Chinese text, unique per call (the invariants match messages by text). */
export function messageText(tag: string, rng?: Rng): string {
  const words = ['hello', '你好', 'meeting at 3', '收到', 'ok 👍', '明天见', 'see you', '谢谢'];
  const extra = rng ? ' ' + words[rng.int(words.length)]!.repeat(1 + rng.int(3)) : '';
  return `${tag} #${++counter}${extra}`;
}

/**
 * `count` messages from each participant (or only `from`), without waiting
 * between them: direct chats round the ring, every third to the group.
 */
export async function burst(world: World, count: number, tag: string, from?: number[]): Promise<void> {
  const senders = from ?? world.participants.map((_, i) => i);
  const n = world.participants.length;
  const sends: Promise<unknown>[] = [];
  for (let k = 0; k < count; k++) {
    for (const i of senders) {
      const to = (i + 1 + (k % (n - 1))) % n;
      const key = n >= 3 && k % 3 === 2 ? world.groupKey : world.direct(i, to);
      sends.push(world.p(i).send(key, messageText(`${tag} ${i}`)));
    }
  }
  await Promise.all(sends);
}
