// What nodes tell each other: every kind survives encoding, and a kick from another node is checked field by field
// (one this node cannot read is dropped, never applied half-understood); kicks from nodes without attempt times still read.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, Kind, type KickOrder } from '../../server/cluster/envelope';
import { Kicked_Reason } from '../../shared/protocol';

const kick: KickOrder = { reason: Kicked_Reason.OTHER_LOGIN, deviceName: 'Phone', deviceId: 'phone', keepNode: 'a', keepSession: 7 };
const raw = (body: object) => Uint8Array.from([Kind.KICK, ...new TextEncoder().encode(JSON.stringify(body))]);

describe('cluster envelope', () => {
  it('round-trips events, kicks with and without the login attempt, and resyncs', () => {
    expect(decodeMessage(encodeMessage({ kind: Kind.EVENT, payload: Uint8Array.of(1, 2) }))).toEqual({ kind: Kind.EVENT, payload: Uint8Array.of(1, 2) });
    expect(decodeMessage(encodeMessage({ kind: Kind.KICK, kick }))).toEqual({ kind: Kind.KICK, kick });
    const login = { ...kick, keepDevice: 'phone', keepAttemptAt: 1_764_000_000_000 };
    expect(decodeMessage(encodeMessage({ kind: Kind.KICK, kick: login }))).toEqual({ kind: Kind.KICK, kick: login });
    expect(decodeMessage(encodeMessage({ kind: Kind.RESYNC, fromNode: 'b' }))).toEqual({ kind: Kind.RESYNC, fromNode: 'b' });
  });

  it.each([
    ['a negative attempt time', { ...kick, keepDevice: 'phone', keepAttemptAt: -1 }],
    ['a fractional attempt time', { ...kick, keepDevice: 'phone', keepAttemptAt: 1.5 }],
    ['an attempt time as a string', { ...kick, keepDevice: 'phone', keepAttemptAt: '5' }],
    ['an attempt time without its device', { ...kick, keepAttemptAt: 5 }],
    ['a device that is not a string', { ...kick, keepDevice: 3, keepAttemptAt: 5 }],
    ['an unknown reason', { ...kick, reason: 99 }],
    ['a negative session', { ...kick, keepSession: -2 }],
  ])('drops a kick with %s', (_, body) => {
    expect(decodeMessage(raw(body))).toBeUndefined();
  });
});
