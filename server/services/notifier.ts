/**
 * What the services need from the connection layer: deliver pushes to the
 * online devices of users. The session registry implements it; unit tests
 * use a recording fake.
 */
import type { Presence, TypingNotice, Kicked_Reason } from '../../shared/protocol';
import type { PendingPush } from '../operations/events';

export type { PendingPush };

export interface Notifier {
  pushEvents(items: readonly PendingPush[]): void;
  typing(userIds: readonly number[], notice: TypingNotice, skipSession?: number): void;
  presence(userIds: readonly number[], presence: Presence): void;
  /** Those of `userIds` online anywhere (any device on any node). */
  onlineAmong(userIds: readonly number[]): Promise<Set<number>>;
  /** Ends sessions of a user (all but `keepSession`), telling them why. */
  kick(userId: number, reason: Kicked_Reason, deviceName: string, keepSession?: number): void;
  /** Ends the sessions of one device of a user, on every node, telling them why. */
  kickDevice(userId: number, deviceId: string, reason: Kicked_Reason, deviceName: string): void;
  /** The user's devices online anywhere. */
  onlineDevices(userId: number): Promise<Set<string>>;
}

/** A Notifier that drops everything (admin CLI, storage-only tests). */
export const nullNotifier: Notifier = {
  pushEvents() {},
  typing() {},
  presence() {},
  onlineAmong: () => Promise.resolve(new Set()),
  kick() {},
  kickDevice() {},
  onlineDevices: () => Promise.resolve(new Set()),
};
