/**
 * The operations endpoint (opt-in, `--metrics-port`): `/metrics` (Prometheus
 * text), `/healthz` (the process is alive and its event loop answers) and
 * `/readyz` (the server accepts work: store open, listening, not shutting
 * down). Anything else is 404; methods other than GET and HEAD are 405.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsContentType, type Metrics } from './metrics';

/** Each readiness check by name: true when it passes. */
export type Readiness = Record<string, boolean>;

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const json = 'application/json; charset=utf-8';

export function serveOps(metrics: Metrics, readiness: () => Readiness, host: string, port: number): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.render().then(
        (text) => reply(req, res, 200, metricsContentType, text),
        (err: unknown) => reply(req, res, 500, 'text/plain; charset=utf-8', `metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
    } else if (path === '/healthz') {
      reply(req, res, 200, json, '{"status":"ok"}\n');
    } else if (path === '/readyz') {
      const checks = readiness();
      const ready = Object.values(checks).every(Boolean);
      reply(req, res, ready ? 200 : 503, json, JSON.stringify({ status: ready ? 'ready' : 'not ready', checks }) + '\n');
    } else {
      reply(req, res, 404, 'text/plain; charset=utf-8', 'not found: /metrics, /healthz, /readyz\n');
    }
  });
  // Scrapers and probes keep connections alive; don't let one hold up close().
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
