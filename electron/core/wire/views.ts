/** Wire messages as the contract's view models. */
import type { Profile } from '../../../shared/ipc';
import { num } from './ids';
import type { WireProfile } from './types';

export function profileFromWire(p: WireProfile): Profile {
  return { userId: num(p.userId), username: p.username, nickname: p.nickname, avatar: p.avatar, signature: p.signature };
}
