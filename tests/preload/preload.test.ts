// The preload exposes exactly the contract: one function per method, one
// on<Event> per event, nothing else; calls invoke `tern:<method>` and unwrap
// the CallResult. Electron is faked with vi.mock.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { eventNames, methodNames, subscriptionName, type MessengerApi } from '../../shared/ipc';

const exposed = new Map<string, unknown>();
const invoked: Array<{ channel: string; args: unknown }> = [];
const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
let reply: unknown = { ok: true, value: 42 };

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke: async (channel: string, args: unknown) => {
      invoked.push({ channel, args });
      return reply;
    },
    on: (channel: string, fn: (...a: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
    },
    removeListener: (channel: string, fn: (...a: unknown[]) => void) => listeners.get(channel)?.delete(fn),
  },
}));

let api: MessengerApi;
beforeAll(async () => {
  await import('../../electron/preload/index');
  api = exposed.get('tern') as MessengerApi;
});

describe('preload', () => {
  it('exposes only window.tern', () => {
    expect([...exposed.keys()]).toEqual(['tern']);
  });

  it('exposes exactly one function per method and one subscription per event', () => {
    const expected = [...methodNames, ...eventNames.map((e) => subscriptionName(e))].sort();
    expect(Object.keys(api).sort()).toEqual(expected);
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    expect(Object.getPrototypeOf(api)).toBe(Object.prototype);
  });

  it('invokes tern:<method> and unwraps the CallResult', async () => {
    reply = { ok: true, value: { total: 1 } };
    await expect(api.getSettings({})).resolves.toEqual({ total: 1 });
    expect(invoked.at(-1)).toEqual({ channel: 'tern:getSettings', args: {} });
    reply = { ok: false, error: { code: 'NOT_LOGGED_IN', message: 'log in first' } };
    await expect(api.listFriends({})).rejects.toEqual({ name: 'MessengerError', code: 'NOT_LOGGED_IN', message: 'log in first' });
    reply = 'garbage';
    await expect(api.listFriends({})).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('subscribes to tern:event:<name>, passes only the payload, and unsubscribes', () => {
    const got: unknown[] = [];
    const off = api.onUnreadTotal((p) => got.push(p));
    const channel = listeners.get('tern:event:unreadTotal')!;
    expect(channel.size).toBe(1);
    for (const fn of channel) fn({ sender: 'ipc internals' }, { total: 5 });
    expect(got).toEqual([{ total: 5 }]);
    off();
    expect(channel.size).toBe(0);
  });
});
