// The wire edge: one table per enum, read both ways; conversation refs and keys; error codes.
import { describe, expect, it } from 'vitest';
import { conversationKinds, friendRequestStates, friendStates, groupRoles, isErrorCode, kickReasons, localErrorCodes, syncPhases } from '../../shared/ipc';
import { isConversationKey, parseConversationKey } from '../../shared/ipc/conversation-key';
import { ConversationType, GroupRole, Kicked_Reason, ResultCode, SyncDomain } from '../../shared/protocol';
import { conversationKind, friendRequestState, friendState, fromWireRef, groupRole, kickReason, syncPhase, toWireRef } from '../../electron/core/wire';
import { resultCodeName } from '../../electron/core/errors';

describe('enum vocabulary', () => {
  it.each([
    ['conversation kinds', conversationKind, conversationKinds],
    ['group roles', groupRole, groupRoles],
    ['friend states', friendState, friendStates],
    ['friend request states', friendRequestState, friendRequestStates],
    ['kick reasons', kickReason, kickReasons],
    ['sync phases (in login order)', syncPhase, syncPhases],
  ] as const)('%s: every word of the contract maps to a wire value and back', (_name, mapping, words) => {
    expect([...mapping.words]).toEqual([...words]);
    for (const word of words) expect(mapping.fromWire(mapping.toWire(word as never))).toBe(word);
  });

  it('wire values without a word (UNSPECIFIED, or unknown to this build) map to undefined', () => {
    expect(groupRole.fromWire(GroupRole.UNSPECIFIED)).toBeUndefined();
    expect(kickReason.fromWire(Kicked_Reason.UNSPECIFIED)).toBeUndefined();
    expect(groupRole.fromWire(99)).toBeUndefined();
    expect(syncPhase.toWire('members')).toBe(SyncDomain.MEMBERS);
  });
});

describe('conversation keys and wire refs', () => {
  it('round-trips keys through wire refs', () => {
    for (const key of ['u:1', 'g:42', 'u:9007199254740991'] as const) expect(fromWireRef(toWireRef(key))).toBe(key);
    expect(toWireRef('g:7')).toEqual({ type: ConversationType.GROUP, id: 7n });
  });

  it('refuses refs and keys that are not valid', () => {
    expect(fromWireRef(undefined)).toBeUndefined();
    expect(fromWireRef({ type: ConversationType.UNSPECIFIED, id: 5 })).toBeUndefined();
    expect(fromWireRef({ type: ConversationType.DIRECT, id: 0 })).toBeUndefined();
    expect(fromWireRef({ type: ConversationType.DIRECT, id: 2n ** 60n })).toBeUndefined();
    for (const bad of ['x:1', 'u:0', 'u:01', 'g:', 'u:1.5', 'u:99999999999999999', 'u:-1', ' u:1']) expect(isConversationKey(bad)).toBe(false);
    expect(() => parseConversationKey('x:1' as 'u:1')).toThrow(/not a conversation key/);
  });
});

describe('error codes', () => {
  it('knows every protocol ResultCode by name, and the local codes', () => {
    const names = Object.keys(ResultCode).filter((k) => Number.isNaN(Number(k)) && k !== 'OK');
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(isErrorCode(name)).toBe(true);
    for (const code of localErrorCodes) expect(isErrorCode(code)).toBe(true);
    expect(isErrorCode('OK')).toBe(false);
    expect(isErrorCode('NO_SUCH_CODE')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });

  it('names a numeric result code, and calls an unknown one INTERNAL', () => {
    expect(resultCodeName(ResultCode.BAD_CREDENTIALS)).toBe('BAD_CREDENTIALS');
    expect(resultCodeName(ResultCode.OK)).toBe('INTERNAL');
    expect(resultCodeName(123456)).toBe('INTERNAL');
  });
});
