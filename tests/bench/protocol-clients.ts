/**
 * Child process of the protocol benchmark's memory figure: opens N secure
 * connections to the parent's server, sends one PING each, reports 'ready',
 * then holds them until killed. Node's native crypto (the app's portable
 * X25519 would only slow the load generator down).
 *   argv: <port> <server public key, base64> <count>
 */
import { decodeKey, nativeCrypto } from '../../shared/node/noise';
import { connectSecure, type SecureConnection } from '../../shared/node/transport/secure-connection';
import { Command } from '../../shared/protocol';

if (!process.send) {
  console.error('protocol-clients.ts is a child process of the protocol benchmark, not a suite');
  process.exit(2);
}
const [port, key, count] = process.argv.slice(2);
const held: SecureConnection[] = [];
for (let i = 0; i < Number(count); i++) {
  const { connection } = await connectSecure({ host: '127.0.0.1', port: Number(port), serverPublicKey: decodeKey(key!), hello: { protocolVersion: 1 }, crypto: nativeCrypto });
  connection.send({ serial: 1, command: Command.PING, code: 0, payload: new Uint8Array(10) });
  held.push(connection);
}
process.send?.('ready');
setInterval(() => undefined, 60_000);
