// Issue 9 item 1, as the outside audit found it: a raw TCP client that sends 1 MiB of zero bytes before any
// handshake used to kill the server process (TypeError in RecordReader.take). The real server runs as its own
// process here, so a crash shows as an exit, not as a test-runner error. tests/shared/node/transport-fuzz.test.ts
// covers the whole class (any byte stream, any chunking, both ends).
import { connect } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { Command } from '../../shared/protocol';
import { TestClient } from './helpers/client';
import { startServerProcess, type ServerProcess } from './helpers/process';

let server: (ServerProcess & { stop(): Promise<void> }) | undefined;
afterAll(() => server?.stop());

/** Writes `bytes` on a fresh TCP connection and resolves when the server has closed it. */
function sendRaw(endpoint: { host: string; port: number }, bytes: Uint8Array, chunk: number): Promise<{ received: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(endpoint);
    let received = 0;
    socket.on('data', (d: Buffer) => (received += d.length));
    // The server may close while we are still writing: a reset is an expected end here.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ received }));
    socket.on('connect', () => {
      for (let offset = 0; offset < bytes.length && !socket.destroyed; offset += chunk) socket.write(bytes.subarray(offset, offset + chunk));
      socket.end();
    });
    socket.setTimeout(20_000, () => reject(new Error('the server kept a flooding connection open for 20 s')));
  });
}

it('1 MiB of zero bytes before the handshake closes that connection, and the server keeps serving', async () => {
  server = await startServerProcess();
  const healthy = await TestClient.connect(server);
  await healthy.register('bystander');

  const zeros = new Uint8Array(1024 * 1024);
  for (const chunk of [zeros.length, 65536, 1]) {
    // 1-byte writes of 1 MiB are slow on a loaded machine; 4 KiB of them exercise the same splits.
    const bytes = chunk === 1 ? zeros.subarray(0, 4096) : zeros;
    const { received } = await sendRaw(server, bytes, chunk);
    // An empty first record is not a Noise message: nothing can be answered in a channel the peer could read.
    expect(received).toBe(0);
    expect(server.child.exitCode, server.stderr()).toBeNull();
    const pong = await healthy.call(Command.PING, { sentAt: 7n });
    expect(pong.sentAt).toBe(7n);
  }
  const late = await TestClient.connect(server);
  await late.register('latecomer');
  await late.close();
  await healthy.close();
  expect(server.child.exitCode).toBeNull();
  expect(server.stderr()).not.toMatch(/TypeError|uncaught/i);
});
