import { createServer, type AddressInfo } from 'node:net';
import { fork } from 'node:child_process';
import { generateStaticKeyPair, encodeKey } from '../../shared/node/noise';
import { acceptSecure, connectSecure, type SecureConnection } from '../../shared/node/transport/secure-connection';
import { ResultCode } from '../../shared/protocol';

const N = Number(process.env.N ?? 3000);
if (process.argv[2] === 'child') {
  const [, , , port, key] = process.argv;
  const { decodeKey: dk } = await import('../../shared/node/noise');
  const keep: SecureConnection[] = [];
  for (let i = 0; i < N; i++) {
    const { connection } = await connectSecure({ host: '127.0.0.1', port: Number(port), serverPublicKey: dk(key!), hello: { protocolVersion: 1 } });
    connection.send({ serial: 1, command: 3, code: 0, payload: new Uint8Array(10) });
    keep.push(connection);
  }
  process.send!('done');
  await new Promise((r) => setTimeout(r, 60000));
} else {
  const staticKey = generateStaticKeyPair();
  const conns: SecureConnection[] = [];
  const srv = createServer((s) => { acceptSecure(s, { staticKey, onHello: () => ({ code: ResultCode.OK }) }).then((c) => { c.on('frame', () => {}); c.on('close', () => {}); conns.push(c); }, () => {}); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  global.gc!(); global.gc!();
  const m0 = process.memoryUsage();
  const child = fork(new URL(import.meta.url).pathname, ['child', String((srv.address() as AddressInfo).port), encodeKey(staticKey.publicKey)], { execArgv: ['--import', 'tsx'] });
  await new Promise((r) => child.once('message', r));
  await new Promise((r) => setTimeout(r, 500));
  global.gc!(); global.gc!();
  const m1 = process.memoryUsage();
  const per = (k: 'heapUsed' | 'heapTotal' | 'external' | 'rss') => ((m1[k] - m0[k]) / N / 1024).toFixed(2);
  console.log(`server side, ${conns.length} idle secure connections: heapUsed ${per('heapUsed')} KiB, heapTotal ${per('heapTotal')} KiB, external ${per('external')} KiB, rss ${per('rss')} KiB per connection`);
  child.kill();
  process.exit(0);
}
