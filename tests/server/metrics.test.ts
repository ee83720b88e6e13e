// The opt-in Prometheus endpoint reflects connections, messages, acks, syncs and errors by code.
import { expect, it } from 'vitest';
import { Command, ResultCode } from '../../shared/protocol';
import { serverFixture } from './helpers/server';
import { befriend, direct, sendText } from './helpers/social';

const fixture = serverFixture({ metricsPort: 0 });

it('serves Prometheus text with the server counters', async () => {
  const server = fixture.server;
  expect(server.metricsPort).toBeGreaterThan(0);
  const a = await fixture.user('metrics_a');
  const b = await fixture.user('metrics_b');
  await befriend(a, b);
  const ack = await sendText(a, direct(b), 'counted');
  await b.waitEvent('message', (m) => m.msgId === ack.msgId);
  await b.call(Command.SYNC, {});
  expect(await a.fails(Command.GROUP_GET, { groupId: 12345n })).toBe(ResultCode.NOT_FOUND);
  await new Promise((r) => setTimeout(r, 50)); // let b's PUSH_ACK arrive
  const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  expect(text).toMatch(/^tern_connections_open 2$/m);
  expect(text).toMatch(/^tern_messages_stored_total 1$/m);
  expect(text).toMatch(/^tern_push_acks_total [1-9]/m);
  expect(text).toMatch(/^tern_sync_requests_total 1$/m);
  expect(text).toMatch(/^tern_errors_total\{code="NOT_FOUND"\} 1$/m);
  expect(text).toMatch(/^tern_requests_total\{command="MESSAGE_SEND"\} 1$/m);
  expect(text).toContain('# TYPE tern_pushes_sent_total counter');
  expect((await fetch(`http://127.0.0.1:${server.metricsPort}/nope`)).status).toBe(404);
});
