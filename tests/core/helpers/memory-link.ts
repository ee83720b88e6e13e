/**
 * An in-memory stand-in for the secure transport: a connector whose
 * connections are driven by the test (a scripted server).
 */
import { EventEmitter } from 'node:events';
import type { ErrorCode, ServerEndpoint } from '../../../shared/ipc';
import type { Frame } from '../../../shared/protocol';
import { CoreError } from '../../../electron/core/errors';
import type { Connector, LinkCloseError, WireConnection } from '../../../electron/core/link';

export class MemoryConnection extends EventEmitter implements WireConnection {
  readonly sent: Frame[] = [];
  private isClosed = false;
  /** Set by the test: answers frames the client sends (return frames to deliver). */
  responder: ((frame: Frame) => Frame[] | void) | undefined;

  constructor(readonly endpoint: ServerEndpoint) {
    super();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(frame: Frame): boolean {
    if (this.isClosed) return false;
    this.sent.push(frame);
    const replies = this.responder?.(frame);
    if (replies) for (const r of replies) queueMicrotask(() => this.deliver(r));
    return true;
  }

  /** The "server" sends a frame to the client. */
  deliver(frame: Frame): void {
    if (!this.isClosed) this.emit('frame', frame);
  }

  close(error?: LinkCloseError): void {
    this.finish(error);
  }

  destroy(error?: LinkCloseError): void {
    this.finish(error);
  }

  /** The "server" drops the connection. */
  drop(error?: LinkCloseError): void {
    this.finish(error);
  }

  private finish(error?: LinkCloseError): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emit('close', error);
  }
}

export interface ScriptedConnector {
  connector: Connector;
  /** Connections handed out, in order. */
  connections: MemoryConnection[];
  /** Endpoints asked for, in order. */
  attempts: string[];
  /** Decides per attempt: a CoreError code to fail with, or 'ok'. */
  plan: (endpoint: ServerEndpoint, attempt: number) => 'ok' | ErrorCode;
  /** Applied to every new connection. */
  setup: (connection: MemoryConnection) => void;
}

export function scriptedConnector(): ScriptedConnector {
  const state: ScriptedConnector = {
    connections: [],
    attempts: [],
    plan: () => 'ok',
    setup: () => {},
    connector: async (endpoint) => {
      const attempt = state.attempts.length;
      state.attempts.push(`${endpoint.host}:${endpoint.port}`);
      const outcome = state.plan(endpoint, attempt);
      if (outcome !== 'ok') throw new CoreError(outcome, `scripted failure ${outcome}`);
      const connection = new MemoryConnection(endpoint);
      state.connections.push(connection);
      state.setup(connection);
      return { connection, hello: { maxFrameSize: 1 << 20, heartbeatIntervalMs: 30_000, idleTimeoutMs: 90_000, serverTime: 0 } };
    },
  };
  return state;
}

export const KEY = 'A'.repeat(43) + '=';
export function endpoint(port: number, host = '127.0.0.1'): ServerEndpoint {
  return { host, port, publicKey: KEY };
}
