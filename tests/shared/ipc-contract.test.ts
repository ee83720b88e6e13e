import { describe, expect, it } from 'vitest';
import { eventNames, methodNames, parseCall, subscriptionName } from '../../shared/ipc';

describe('IPC contract', () => {
  it('accepts a valid call and returns the parsed argument', () => {
    const result = parseCall('sendMessage', { key: 'u:42', text: 'hi' });
    expect(result).toEqual({ ok: true, method: 'sendMessage', args: { key: 'u:42', text: 'hi' } });
  });

  it.each([
    ['unknown method', 'deleteEverything', {}],
    ['prototype key as method', '__proto__', {}],
    ['non-string method', 42, {}],
    ['bad conversation key', 'sendMessage', { key: 'x:1', text: 'hi' }],
    ['empty text', 'sendMessage', { key: 'u:1', text: '' }],
    ['text too long', 'sendMessage', { key: 'u:1', text: 'a'.repeat(8001) }],
    ['extra field', 'markRead', { key: 'u:1', evil: true }],
    ['wrong type', 'removeFriend', { userId: '1' }],
    ['negative id', 'removeFriend', { userId: -1 }],
    ['bad username', 'login', { username: 'A B', password: 'secretpass' }],
    ['short password', 'register', { username: 'alice', password: 'short' }],
    ['bad server key', 'login', { username: 'alice', server: { host: 'h', port: 1, publicKey: 'nope' } }],
  ])('rejects %s with INVALID_ARGUMENT', (_what, method, args) => {
    const result = parseCall(method, args);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('INVALID_ARGUMENT');
  });

  it('treats a missing argument as an empty object', () => {
    expect(parseCall('listFriends', undefined).ok).toBe(true);
    expect(parseCall('getGroup', undefined).ok).toBe(false);
  });

  it('names subscriptions on<Event>, each once, and none shadows a method (both live on window.tern)', () => {
    expect(subscriptionName('messagesChanged')).toBe('onMessagesChanged');
    // eventNames is a hand-written list: a name twice would subscribe twice.
    expect(eventNames.filter((e, i) => eventNames.indexOf(e) !== i)).toEqual([]);
    const subscriptions = eventNames.map(subscriptionName);
    expect(subscriptions.filter((s) => (methodNames as readonly string[]).includes(s))).toEqual([]);
    // Every method takes an object argument and refuses anything else.
    for (const method of methodNames) expect(parseCall(method, 'not an object').ok, method).toBe(false);
  });
});
