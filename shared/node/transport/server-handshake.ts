/** The server side: answer the client's Noise NK handshake on an accepted socket, then a SecureConnection. */
import type { Socket } from 'node:net';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  Command,
  decodePayload,
  encodeFrame,
  encodePayload,
  ErrorDetailSchema,
  HandshakeRequestSchema,
  HandshakeResponseSchema,
  ResultCode,
  type HandshakeRequest,
} from '../../protocol';
import { HandshakeState, nativeCrypto, NoiseError, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL, type NoiseCrypto, type StaticKeyPair } from '../noise';
import { SecureConnection } from './connection';
import { SecureTransportError } from './errors';
import { decodeHandshakeFrame, handshakeDeadline, readHandshakeRecord } from './handshake-io';
import { handshakeRecord } from './records';
import { endSocket } from './socket-util';

export interface HelloDecision {
  /** OK to accept; anything else refuses the client with that code. */
  code: ResultCode;
  /** Sent when code is OK. */
  response?: MessageInitShape<typeof HandshakeResponseSchema>;
  /** With a refusal: English explanation for the client's logs. */
  message?: string;
}

export interface ServerHandshakeOptions {
  staticKey: StaticKeyPair;
  /** Deadline from accept to a finished handshake. Default 10 s. */
  timeoutMs?: number;
  /** Largest frame accepted or sent. Default 1 MiB. */
  maxFrameSize?: number;
  /** Crypto implementations. Default: nativeCrypto (node:crypto with OpenSSL, the fastest). */
  crypto?: NoiseCrypto;
  /** Decides on the client's HandshakeRequest (protocol version etc.). May throw: the client then gets INTERNAL. */
  onHello(request: HandshakeRequest): HelloDecision;
}

/**
 * Runs the responder side of the handshake on `socket`. On success the
 * socket belongs to the returned SecureConnection. On failure the socket is
 * closed and the promise rejects with a SecureTransportError:
 * HANDSHAKE_TIMEOUT (nothing, or too little, within the deadline),
 * HANDSHAKE_FAILED (not a valid first message: wrong pinned key, garbage),
 * or the code onHello chose (the client is told before the socket closes).
 */
export async function acceptSecure(socket: Socket, options: ServerHandshakeOptions): Promise<SecureConnection> {
  socket.setNoDelay(true);
  const deadline = handshakeDeadline(options.timeoutMs ?? 10_000, 'client handshake');
  // A socket error while we wait is reported through readHandshakeRecord;
  // this keeps one arriving later from crashing the process.
  const ignoreError = (): void => undefined;
  socket.on('error', ignoreError);

  let handshake: HandshakeState | undefined;
  const refuse = (code: ResultCode, message: string): never => {
    // After message 1 the client can read our reply, so tell it why.
    if (handshake && !handshake.isComplete) {
      try {
        const frame = encodeFrame({ serial: 0, command: Command.HANDSHAKE, code, payload: encodePayload(ErrorDetailSchema, { code, message }) });
        socket.write(handshakeRecord(handshake.writeMessage(frame)));
      } catch {
        // Best effort.
      }
    }
    throw new SecureTransportError(code, message);
  };

  const run = async (): Promise<SecureConnection> => {
    const { message, rest } = await readHandshakeRecord(
      socket,
      () => new SecureTransportError(ResultCode.HANDSHAKE_FAILED, 'the client closed the connection during the handshake'),
    );
    const state = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, crypto: options.crypto ?? nativeCrypto, initiator: false, prologue: TERN_NOISE_PROLOGUE, staticKey: options.staticKey });
    let payload: Uint8Array;
    try {
      payload = state.readMessage(message);
    } catch (err) {
      if (!(err instanceof NoiseError)) throw err;
      // Nothing to answer with: the client does not share our keys.
      throw new SecureTransportError(ResultCode.HANDSHAKE_FAILED, `bad first handshake message (client pinned another server key?): ${err.message}`, { cause: err });
    }
    handshake = state;
    const frame = decodeHandshakeFrame(payload);
    if (frame.command !== Command.HANDSHAKE) refuse(ResultCode.HANDSHAKE_FAILED, `expected a HANDSHAKE frame, got command ${frame.command}`);
    const request = decodePayload(HandshakeRequestSchema, frame.payload);
    if (!request.ok) return refuse(ResultCode.MALFORMED_PAYLOAD, request.error);
    let decision: HelloDecision;
    try {
      decision = options.onHello(request.value);
    } catch (err) {
      return refuse(ResultCode.INTERNAL, `handshake rejected by an internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (decision.code !== ResultCode.OK) return refuse(decision.code, decision.message ?? `handshake refused with code ${decision.code}`);
    const reply = encodeFrame({ serial: 0, command: Command.HANDSHAKE, code: ResultCode.OK, payload: encodePayload(HandshakeResponseSchema, decision.response ?? {}) });
    socket.write(handshakeRecord(state.writeMessage(reply)));
    const keys = state.transportKeys();
    return new SecureConnection(socket, { send: keys.send, receive: keys.receive, role: 'server', maxFrameSize: options.maxFrameSize, initialData: rest });
  };

  try {
    const connection = await Promise.race([run(), deadline.promise]);
    // The connection has its own error listener now.
    socket.off('error', ignoreError);
    return connection;
  } catch (err) {
    // Flush a refusal if one was written, but never wait long for the peer.
    // `ignoreError` stays attached: a reset during that flush is expected.
    if (err instanceof SecureTransportError && handshake) endSocket(socket, 1_000);
    else socket.destroy();
    throw err;
  } finally {
    deadline.clear();
  }
}
