// The metrics and health endpoint: prom-client's process metrics, the server's counters and latency
// histograms on /metrics, /healthz, /readyz (and its answer while shutting down), nothing elsewhere.
import { describe, expect, it } from 'vitest';
import { Command, ResultCode } from '../../shared/protocol';
import { Metrics } from '../../server/metrics';
import { serveOps, type Readiness } from '../../server/ops-http';
import { buildInfo } from '../../server/build-info';
import { serverFixture, startTestServer, removeDir } from './helpers/server';
import { befriend, direct, sendText } from './helpers/social';
import { testStore } from './helpers/store';

const fixture = serverFixture({ metricsPort: 0 });

/** Metric lines (name{labels} -> value) of a Prometheus text. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

describe('/metrics', () => {
  it('counts connections, messages, pushes, errors and request latency by command', async () => {
    const server = fixture.server;
    expect(server.metricsPort).toBeGreaterThan(0);
    const a = await fixture.user('metrics_a');
    const b = await fixture.user('metrics_b');
    await befriend(a, b);
    const ack = await sendText(a, direct(b), 'counted', { clientMsgId: 'metrics-1' });
    await b.waitEvent('message', (m) => m.msgId === ack.msgId);
    // The same client id again: a duplicate, answered with the original ack; not a new send-to-ack.
    expect((await sendText(a, direct(b), 'counted', { clientMsgId: 'metrics-1' })).duplicate).toBe(true);
    await b.call(Command.SYNC, {});
    expect(await a.fails(Command.GROUP_GET, { groupId: 12345n })).toBe(ResultCode.NOT_FOUND);
    // b's PUSH_ACK travels after the push; poll the live counter rather than sleep.
    await expect.poll(() => server.metrics.value('tern_push_acks_total')).toBeGreaterThanOrEqual(1);

    const m = await scrape(server.metricsPort!);
    expect(m.get('tern_connections_open')).toBe(2);
    expect(m.get('tern_sessions_authenticated')).toBe(2);
    expect(m.get('tern_messages_stored_total')).toBe(1);
    expect(m.get('tern_messages_duplicate_total')).toBe(1);
    expect(m.get('tern_pushes_sent_total')).toBeGreaterThanOrEqual(1);
    expect(m.get('tern_errors_total{code="NOT_FOUND"}')).toBe(1);
    expect(m.get('tern_request_duration_seconds_count{command="MESSAGE_SEND"}')).toBe(2);
    expect(m.get('tern_request_duration_seconds_count{command="SYNC"}')).toBe(1);
    expect(m.get('tern_request_duration_seconds_count{command="GROUP_GET"}')).toBe(1);
    expect(m.get('tern_request_duration_seconds_bucket{le="+Inf",command="MESSAGE_SEND"}')).toBe(2);
    expect(m.get('tern_request_duration_seconds_sum{command="MESSAGE_SEND"}')).toBeGreaterThan(0);
    expect(m.get('tern_send_ack_duration_seconds_count')).toBe(1);
    expect(m.get('tern_send_ack_duration_seconds_bucket{le="10"}')).toBe(1);
    expect(m.get('tern_write_batches_total')).toBeGreaterThanOrEqual(1);
    // The embedded store syncs its WAL itself (group-fsync); PostgreSQL's COMMIT does that inside the database.
    if (testStore === 'sqlite') expect(m.get('tern_wal_syncs_total')).toBeGreaterThanOrEqual(1);
    else expect(m.get('tern_wal_syncs_total')).toBe(0);
  });

  it("carries prom-client's process and Node metrics, event-loop lag and the build", async () => {
    const m = await scrape(fixture.server.metricsPort!);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(m.has(name), name).toBe(true);
    }
    const { version, commit } = buildInfo();
    expect(commit).toMatch(/^[0-9a-f]{12}$/); // from git in a checkout
    expect(m.get(`tern_build_info{version="${version}",commit="${commit}",node="${process.versions.node}"}`)).toBe(1);
  });

  it('serves /metrics only: other paths are 404, other methods 405', async () => {
    const base = `http://127.0.0.1:${fixture.server.metricsPort}`;
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});

describe('/healthz and /readyz', () => {
  it('a running server is alive and ready', async () => {
    const base = `http://127.0.0.1:${fixture.server.metricsPort}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { listening: true, storeOpen: true, notShuttingDown: true } });
  });

  it('a server that is shutting down is not ready', async () => {
    const server = await startTestServer({ shutdownGraceMs: 0 });
    expect(server.readiness()).toEqual({ listening: true, storeOpen: true, notShuttingDown: true });
    const closed = server.close();
    expect(server.readiness().notShuttingDown).toBe(false);
    await closed;
    expect(server.readiness()).toEqual({ listening: false, storeOpen: false, notShuttingDown: false });
    removeDir(server.dataDir);
  });

  it('/readyz answers 503 with the failing check', async () => {
    let checks: Readiness = { listening: true, storeOpen: true, notShuttingDown: true };
    const ops = await serveOps(new Metrics(), () => checks, '127.0.0.1', 0);
    try {
      expect((await fetch(`http://127.0.0.1:${ops.port}/readyz`)).status).toBe(200);
      checks = { ...checks, notShuttingDown: false };
      const res = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not ready', checks });
      expect((await fetch(`http://127.0.0.1:${ops.port}/healthz`)).status).toBe(200); // alive all the same
    } finally {
      await ops.close();
    }
  });
});
