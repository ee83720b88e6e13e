/**
 * The real Connector: TCP + Noise NK against the endpoint's pinned key
 * (shared/node/transport), with the portable crypto that also runs on
 * Electron's BoringSSL. Transport errors become the contract's codes:
 * a server that cannot prove the pinned key is SERVER_KEY_MISMATCH; a
 * runtime without the crypto is CRYPTO_UNAVAILABLE.
 */
import { assertTransportCrypto, CryptoUnavailableError } from '../../shared/node/noise/self-check';
import { decodeKey } from '../../shared/node/noise/keys';
import { connectSecure } from '../../shared/node/transport/secure-connection';
import { PROTOCOL_VERSION, ResultCode } from '../../shared/protocol';
import { CoreError, resultCodeName } from './errors';
import { num } from './wire';
import type { Connector } from './link';

/** The start-up self-check (run once per process): throws CRYPTO_UNAVAILABLE naming the missing primitives. */
export function checkTransportCrypto(): void {
  try {
    assertTransportCrypto();
  } catch (err) {
    throw transportFailure(err);
  }
}

export const secureConnector: Connector = async (endpoint, options) => {
  let serverPublicKey: Uint8Array;
  try {
    serverPublicKey = decodeKey(endpoint.publicKey);
  } catch {
    throw new CoreError('INVALID_ARGUMENT', 'the server public key is not 32 bytes of base64');
  }
  try {
    assertTransportCrypto(); // free after the first success; a broken runtime never opens a socket
    const { connection, hello } = await connectSecure({
      host: endpoint.host,
      port: endpoint.port,
      serverPublicKey,
      hello: { protocolVersion: PROTOCOL_VERSION, clientName: options.clientName },
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      // A burst of PUSH_ACKs (a sync catching up, a busy group) goes out as one record.
      coalesceWrites: true,
      ...(options.proxy ? { proxy: options.proxy } : {}),
    });
    return {
      connection,
      hello: {
        maxFrameSize: hello.maxFrameSize,
        heartbeatIntervalMs: hello.heartbeatIntervalMs,
        idleTimeoutMs: hello.idleTimeoutMs,
        serverTime: num(hello.serverTime),
      },
    };
  } catch (err) {
    throw transportFailure(err);
  }
};

function transportFailure(err: unknown): CoreError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof CryptoUnavailableError) return new CoreError('CRYPTO_UNAVAILABLE', message);
  const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : undefined;
  switch (code) {
    case ResultCode.HANDSHAKE_FAILED:
    case ResultCode.DECRYPT_FAILED:
      // NK: only the holder of the pinned private key can complete the handshake.
      return new CoreError('SERVER_KEY_MISMATCH', `the server did not prove the pinned key: ${message}`);
    case ResultCode.HANDSHAKE_TIMEOUT:
      return new CoreError('TIMEOUT', message);
    case undefined:
    case ResultCode.INTERNAL:
      return new CoreError('SERVER_UNREACHABLE', message);
    default:
      return new CoreError(resultCodeName(code), message);
  }
}
