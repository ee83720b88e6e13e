/** HandshakeState misuse and malformed input: every failure is a NoiseError, never a crash or a silent success. */
import { describe, expect, it } from 'vitest';
import { generateStaticKeyPair, HandshakeState, NoiseError, resolvePattern, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL } from '../../../shared/node/noise';

function pair(prologueResponder = TERN_NOISE_PROLOGUE) {
  const server = generateStaticKeyPair();
  const client = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: true, prologue: TERN_NOISE_PROLOGUE, remoteStaticKey: server.publicKey });
  const responder = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: false, prologue: prologueResponder, staticKey: server });
  return { client, responder };
}

describe('HandshakeState', () => {
  it('runs NK to completion with matching hashes and working transport keys', () => {
    const { client, responder } = pair();
    expect(client.isMyTurn).toBe(true);
    expect([...responder.readMessage(client.writeMessage(Uint8Array.of(1, 2)))]).toEqual([1, 2]);
    expect([...client.readMessage(responder.writeMessage(Uint8Array.of(3)))]).toEqual([3]);
    expect(client.isComplete && responder.isComplete).toBe(true);
    expect(Buffer.from(client.handshakeHash).equals(responder.handshakeHash)).toBe(true);
    const c = client.transportKeys();
    const r = responder.transportKeys();
    expect([...r.receive.decrypt(c.send.encrypt(Uint8Array.of(9)))]).toEqual([9]);
    expect([...c.receive.decrypt(r.send.encrypt(Uint8Array.of(8)))]).toEqual([8]);
  });

  it('refuses to write or read out of turn, and after completion', () => {
    const { client, responder } = pair();
    expect(() => responder.writeMessage(new Uint8Array(0))).toThrow(NoiseError);
    expect(() => client.readMessage(new Uint8Array(64))).toThrow(NoiseError);
    responder.readMessage(client.writeMessage(new Uint8Array(0)));
    client.readMessage(responder.writeMessage(new Uint8Array(0)));
    expect(() => client.writeMessage(new Uint8Array(0))).toThrow(/complete/);
    expect(() => pair().client.transportKeys()).toThrow(/not complete/);
  });

  it('rejects a message too short for its tokens or tag', () => {
    const { responder } = pair();
    expect(() => responder.readMessage(new Uint8Array(31))).toThrow(/too short/);
    // A valid-looking ephemeral key, then 8 bytes: not room for the 16-byte tag.
    expect(() => pair().responder.readMessage(Uint8Array.of(...generateStaticKeyPair().publicKey, 1, 2, 3, 4, 5, 6, 7, 8))).toThrow(/too short/);
    // A low-order ephemeral key (all zero) is refused by X25519 itself.
    expect(() => pair().responder.readMessage(new Uint8Array(48))).toThrow(/X25519 failed/);
  });

  it('fails authentication when the prologues differ', () => {
    const { client, responder } = pair(new TextEncoder().encode('tern/2'));
    expect(() => responder.readMessage(client.writeMessage(new Uint8Array(0)))).toThrow(NoiseError);
  });

  it('fails when the client pinned another server key', () => {
    const server = generateStaticKeyPair();
    const client = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: true, prologue: TERN_NOISE_PROLOGUE, remoteStaticKey: generateStaticKeyPair().publicKey });
    const responder = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: false, prologue: TERN_NOISE_PROLOGUE, staticKey: server });
    expect(() => responder.readMessage(client.writeMessage(new Uint8Array(0)))).toThrow(/decryption failed/);
  });

  it('needs the keys its pattern names, and knows only supported suites', () => {
    expect(() => new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: true })).toThrow(/responder static key/);
    expect(() => new HandshakeState({ protocolName: 'Noise_NK_448_ChaChaPoly_SHA256', initiator: true })).toThrow(/448/);
    expect(() => new HandshakeState({ protocolName: 'Noise_NK_25519_Rot13_SHA256', initiator: true })).toThrow(/cipher/);
    expect(() => new HandshakeState({ protocolName: 'Noise_ZZ_25519_ChaChaPoly_SHA256', initiator: true })).toThrow(/pattern/);
  });

  it('resolves psk modifiers onto the right messages', () => {
    expect(resolvePattern('NNpsk0').messages).toEqual([['psk', 'e'], ['e', 'ee']]);
    expect(resolvePattern('NNpsk2').messages).toEqual([['e'], ['e', 'ee', 'psk']]);
    expect(resolvePattern('XXpsk0+psk3').messages.map((m) => m.includes('psk'))).toEqual([true, false, true]);
    expect(() => resolvePattern('NNpsk3')).toThrow(NoiseError);
  });
});
