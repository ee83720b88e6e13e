/**
 * Prometheus metrics, kept in plain counters (no library): connections,
 * requests by command, errors by code, messages stored, acks, pushes, syncs.
 * Served as text/plain on an opt-in HTTP port (`--metrics-port`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command, ResultCode } from '../shared/protocol';

class LabelledCounter {
  readonly values = new Map<string, number>();
  inc(label: string, by = 1): void {
    this.values.set(label, (this.values.get(label) ?? 0) + by);
  }
  get(label: string): number {
    return this.values.get(label) ?? 0;
  }
}

function commandName(command: number): string {
  return Command[command] ?? String(command);
}

function codeName(code: number): string {
  return ResultCode[code] ?? String(code);
}

export class Metrics {
  connectionsOpen = 0;
  connectionsTotal = 0;
  sessionsAuthenticated = 0;
  handshakeFailures = new LabelledCounter();
  requests = new LabelledCounter();
  errors = new LabelledCounter();
  messagesStored = 0;
  messagesDuplicate = 0;
  pushesSent = 0;
  pushAcks = 0;
  syncRequests = 0;
  idleReaped = 0;
  /** Group commits and the writes they carried (set by the server to its batcher's counters). */
  writeBatches: () => { batches: number; jobs: number; syncs: number } = () => ({ batches: 0, jobs: 0, syncs: 0 });
  private readonly started = Date.now();

  request(command: number): void {
    this.requests.inc(commandName(command));
  }

  error(code: number): void {
    this.errors.inc(codeName(code));
  }

  render(): string {
    const lines: string[] = [];
    const gauge = (name: string, help: string, value: number) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
    const counter = (name: string, help: string, value: number) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
    const labelled = (name: string, help: string, label: string, c: LabelledCounter) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [k, v] of [...c.values].sort()) lines.push(`${name}{${label}="${k}"} ${v}`);
    };
    gauge('tern_connections_open', 'Secure connections currently open.', this.connectionsOpen);
    counter('tern_connections_total', 'Secure connections accepted since start.', this.connectionsTotal);
    gauge('tern_sessions_authenticated', 'Connections with a logged-in user.', this.sessionsAuthenticated);
    labelled('tern_handshake_failures_total', 'Handshakes that failed, by result code.', 'code', this.handshakeFailures);
    labelled('tern_requests_total', 'Requests received, by command.', 'command', this.requests);
    labelled('tern_errors_total', 'Error answers sent, by result code.', 'code', this.errors);
    counter('tern_messages_stored_total', 'Messages durably stored and acknowledged.', this.messagesStored);
    counter('tern_messages_duplicate_total', 'Resends answered with the original ack.', this.messagesDuplicate);
    counter('tern_pushes_sent_total', 'PUSH frames sent.', this.pushesSent);
    counter('tern_push_acks_total', 'PUSH_ACK frames received.', this.pushAcks);
    counter('tern_sync_requests_total', 'SYNC requests served.', this.syncRequests);
    counter('tern_idle_reaped_total', 'Connections closed for silence.', this.idleReaped);
    const batches = this.writeBatches();
    counter('tern_write_batches_total', 'Group-commit transactions.', batches.batches);
    counter('tern_write_jobs_total', 'Writes carried by group commits.', batches.jobs);
    counter('tern_wal_syncs_total', 'fdatasync calls on the WAL (durability group-fsync).', batches.syncs);
    const mem = process.memoryUsage();
    gauge('tern_process_resident_memory_bytes', 'Resident set size.', mem.rss);
    gauge('tern_process_heap_used_bytes', 'V8 heap in use.', mem.heapUsed);
    gauge('tern_uptime_seconds', 'Seconds since start.', Math.round((Date.now() - this.started) / 1000));
    return lines.join('\n') + '\n';
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export function serveMetrics(metrics: Metrics, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url === '/')) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metrics.render());
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
