/**
 * Noise HandshakeState (spec section 5.3), driven by a pattern's token
 * lists, so one engine runs every pattern in patterns.ts.
 */
import type { CipherState } from './cipher-state';
import { NoiseError } from './errors';
import { nativeCrypto, parseProtocolName, type NoiseCrypto, type ProtocolName } from './crypto-profile';
import { DH_LEN, type StaticKeyPair } from './dh';
import { resolvePattern, type HandshakePattern, type Token } from './patterns';
import { TAG_LEN } from './suite';
import { SymmetricState } from './symmetric-state';
import { assertNever } from '../../util/assert';

/** Largest Noise message (spec section 3). */
export const MAX_MESSAGE_LEN = 65535;
export const PSK_LEN = 32;

export interface HandshakeOptions {
  /** Full protocol name, e.g. Noise_NK_25519_AESGCM_SHA256. */
  protocolName: string;
  /** Which implementations of the primitives to use. Default: nativeCrypto (node:crypto with OpenSSL). */
  crypto?: NoiseCrypto;
  initiator: boolean;
  prologue?: Uint8Array;
  /** Our static key pair, when the pattern uses one. */
  staticKey?: StaticKeyPair;
  /** The peer's static public key, when known in advance (pinned). */
  remoteStaticKey?: Uint8Array;
  /** Fixed ephemeral key: test vectors only. Normally generated. */
  ephemeralKey?: StaticKeyPair;
  /** Pre-shared keys for pskN modifiers, in the order the psk tokens appear. */
  psks?: Uint8Array[];
}

export interface TransportKeys {
  /** Encrypts what we send. */
  send: CipherState;
  /** Decrypts what we receive. */
  receive: CipherState;
  /** The handshake hash h, for channel binding. */
  handshakeHash: Uint8Array;
}

export class HandshakeState {
  readonly protocol: ProtocolName;
  readonly pattern: HandshakePattern;
  readonly initiator: boolean;
  private readonly symmetric: SymmetricState;
  private s: StaticKeyPair | undefined;
  private e: StaticKeyPair | undefined;
  private rs: Uint8Array | undefined;
  private re: Uint8Array | undefined;
  private readonly fixedEphemeral: StaticKeyPair | undefined;
  private readonly psks: Uint8Array[];
  private messageIndex = 0;
  private split: TransportKeys | undefined;

  constructor(options: HandshakeOptions) {
    this.protocol = parseProtocolName(options.protocolName, options.crypto ?? nativeCrypto);
    this.pattern = resolvePattern(this.protocol.pattern);
    this.initiator = options.initiator;
    this.symmetric = new SymmetricState(this.protocol);
    this.s = options.staticKey ? this.protocol.dh.keyPair(options.staticKey) : undefined;
    this.rs = options.remoteStaticKey;
    if (this.rs && this.rs.length !== DH_LEN) throw new NoiseError(`remote static key must be ${DH_LEN} bytes`);
    this.fixedEphemeral = options.ephemeralKey;
    this.psks = [...(options.psks ?? [])];
    for (const psk of this.psks) if (psk.length !== PSK_LEN) throw new NoiseError(`a PSK must be ${PSK_LEN} bytes`);

    this.symmetric.mixHash(options.prologue ?? new Uint8Array(0));
    // Pre-messages: the initiator's first, then the responder's (spec 7.1).
    for (const _ of this.pattern.initiatorPre) this.symmetric.mixHash(this.requireKey(this.initiator ? this.s?.publicKey : this.rs, 'initiator static key'));
    for (const _ of this.pattern.responderPre) this.symmetric.mixHash(this.requireKey(this.initiator ? this.rs : this.s?.publicKey, 'responder static key'));
  }

  /** True when it is our turn to write. */
  get isMyTurn(): boolean {
    return (this.messageIndex % 2 === 0) === this.initiator;
  }

  get isComplete(): boolean {
    return this.split !== undefined;
  }

  /** The peer's static public key, once known. */
  get remoteStaticKey(): Uint8Array | undefined {
    return this.rs;
  }

  get handshakeHash(): Uint8Array {
    return this.symmetric.handshakeHash;
  }

  /** The transport keys; only after the last handshake message. */
  transportKeys(): TransportKeys {
    if (!this.split) throw new NoiseError('handshake not complete');
    return this.split;
  }

  writeMessage(payload: Uint8Array): Uint8Array {
    const tokens = this.nextTokens(true);
    const parts: Uint8Array[] = [];
    for (const token of tokens) {
      switch (token) {
        case 'e': {
          this.e = this.fixedEphemeral ? this.protocol.dh.keyPair(this.fixedEphemeral) : this.protocol.dh.generateKeyPair();
          parts.push(this.e.publicKey);
          this.symmetric.mixHash(this.e.publicKey);
          if (this.pattern.hasPsk) this.symmetric.mixKey(this.e.publicKey);
          break;
        }
        case 's':
          parts.push(this.symmetric.encryptAndHash(this.requireKey(this.s?.publicKey, 'local static key')));
          break;
        case 'psk':
          this.mixPsk();
          break;
        case 'ee':
        case 'es':
        case 'se':
        case 'ss':
          this.mixDh(token);
          break;
        default:
          assertNever(token, 'token');
      }
    }
    parts.push(this.symmetric.encryptAndHash(payload));
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    if (length > MAX_MESSAGE_LEN) throw new NoiseError(`handshake message of ${length} bytes exceeds ${MAX_MESSAGE_LEN}`);
    const out = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    this.advance();
    return out;
  }

  /** Returns the decrypted payload; throws NoiseError on a malformed or unauthentic message. */
  readMessage(message: Uint8Array): Uint8Array {
    if (message.length > MAX_MESSAGE_LEN) throw new NoiseError(`handshake message of ${message.length} bytes exceeds ${MAX_MESSAGE_LEN}`);
    const tokens = this.nextTokens(false);
    let offset = 0;
    const take = (n: number, what: string): Uint8Array => {
      if (message.length - offset < n) throw new NoiseError(`handshake message too short for ${what}`);
      const out = message.subarray(offset, offset + n);
      offset += n;
      return out;
    };
    for (const token of tokens) {
      switch (token) {
        case 'e': {
          const re = new Uint8Array(take(DH_LEN, 'the ephemeral key'));
          this.re = re;
          this.symmetric.mixHash(re);
          if (this.pattern.hasPsk) this.symmetric.mixKey(re);
          break;
        }
        case 's': {
          const size = this.symmetric.cipherState.hasKey() ? DH_LEN + TAG_LEN : DH_LEN;
          this.rs = new Uint8Array(this.symmetric.decryptAndHash(take(size, 'the static key')));
          break;
        }
        case 'psk':
          this.mixPsk();
          break;
        case 'ee':
        case 'es':
        case 'se':
        case 'ss':
          this.mixDh(token);
          break;
        default:
          assertNever(token, 'token');
      }
    }
    const rest = message.subarray(offset);
    if (this.symmetric.cipherState.hasKey() && rest.length < TAG_LEN) throw new NoiseError('handshake message too short for its payload tag');
    const payload = this.symmetric.decryptAndHash(rest);
    this.advance();
    return payload;
  }

  private nextTokens(writing: boolean): readonly Token[] {
    if (this.split) throw new NoiseError('handshake already complete');
    if (this.isMyTurn !== writing) throw new NoiseError(writing ? 'not our turn to write' : 'not our turn to read');
    const tokens = this.pattern.messages[this.messageIndex];
    if (!tokens) throw new NoiseError('no handshake message left');
    return tokens;
  }

  private advance(): void {
    this.messageIndex++;
    if (this.messageIndex === this.pattern.messages.length) {
      const [c1, c2] = this.symmetric.split();
      this.split = this.initiator
        ? { send: c1, receive: c2, handshakeHash: this.symmetric.handshakeHash }
        : { send: c2, receive: c1, handshakeHash: this.symmetric.handshakeHash };
      // Drop key material the transport phase does not need.
      this.e = undefined;
      this.s = undefined;
    }
  }

  private mixPsk(): void {
    const psk = this.psks.shift();
    if (!psk) throw new NoiseError('pattern needs a PSK and none is left');
    this.symmetric.mixKeyAndHash(psk);
  }

  /** Token letters name the initiator's key first: "es" = DH(initiator e, responder s). */
  private mixDh(token: 'ee' | 'es' | 'se' | 'ss'): void {
    const initiatorKey = token[0] === 'e' ? 'e' : 's';
    const responderKey = token[1] === 'e' ? 'e' : 's';
    const [mine, theirs] = this.initiator ? [initiatorKey, responderKey] : [responderKey, initiatorKey];
    const local = mine === 'e' ? this.e : this.s;
    const remote = theirs === 'e' ? this.re : this.rs;
    if (!local) throw new NoiseError(`missing local ${mine} key for ${token}`);
    if (!remote) throw new NoiseError(`missing remote ${theirs} key for ${token}`);
    let shared: Uint8Array;
    try {
      shared = this.protocol.dh.dh(local, remote);
    } catch (err) {
      throw new NoiseError(`X25519 failed for ${token} (invalid peer key?): ${err instanceof Error ? err.message : String(err)}`);
    }
    this.symmetric.mixKey(shared);
  }

  private requireKey(key: Uint8Array | undefined, what: string): Uint8Array {
    if (!key) throw new NoiseError(`pattern ${this.pattern.name} needs the ${what}`);
    return key;
  }
}
