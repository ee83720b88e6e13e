/**
 * A client core in a process of its own, so a scenario can SIGKILL it with
 * messages in its outbox and start it again on the same data directory (the
 * in-process cores of the other scenarios cannot be killed for real). It
 * serves the core over the process's IPC channel with the same code that
 * serves it on a worker thread (electron/core/thread/serve.ts).
 *
 *   node --import tsx client-child.ts   (config as JSON in TERN_CHAOS_CLIENT)
 */
import { createCore } from '../../../electron/core/index';
import type { Logger } from '../../../electron/core/log';
import type { CoreThreadConfig, HostToThread, ThreadToHost } from '../../../electron/core/thread/protocol';
import { serveCore, type PortLike } from '../../../electron/core/thread/serve';

const config = JSON.parse(process.env.TERN_CHAOS_CLIENT ?? '{}') as CoreThreadConfig;

const port: PortLike = {
  postMessage: (m: ThreadToHost) => {
    if (process.connected) process.send!(m);
  },
  on: (_event, listener) => process.on('message', listener as (m: unknown) => void),
  off: (_event, listener) => process.off('message', listener as (m: unknown) => void),
};

// Errors only, to the parent (which keeps them for the "no crash" invariant).
const log: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (obj, msg) => port.postMessage({ log: { level: 'error', obj, ...(msg !== undefined ? { msg } : {}) } }),
};

const core = await createCore({ ...config, log });
process.on('disconnect', () => void core.dispose().finally(() => process.exit(0)));
await serveCore(core, port);
process.exit(0);

export type { HostToThread };
