/**
 * The entry of the core's thread (a worker thread of Electron's main process
 * or of the web shell's process): builds the core from the host's config and
 * serves it on the thread's port. Log records go to the host, which owns the
 * log file. If the core cannot be built, the host hears why and the thread ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createCore } from '../index';
import type { Logger } from '../log';
import { logLevels, type CoreThreadConfig, type LogLevel, type ThreadToHost } from './protocol';
import { serveCore, type PortLike } from './serve';

function portLogger(port: PortLike, minimum: LogLevel): Logger {
  const threshold = logLevels.indexOf(minimum);
  const at = (level: LogLevel) => (obj: object, msg?: string) => {
    if (logLevels.indexOf(level) >= threshold) port.postMessage({ log: { level, obj, ...(msg !== undefined ? { msg } : {}) } });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function main(port: PortLike, config: CoreThreadConfig): Promise<void> {
  let core;
  try {
    core = await createCore({
      dataDir: config.dataDir,
      defaultServers: config.defaultServers,
      deviceName: config.deviceName,
      clientName: config.clientName,
      log: portLogger(port, config.logLevel),
      ...(config.timings ? { timings: config.timings } : {}),
      ...(config.dataKey ? { dataKey: config.dataKey } : {}),
    });
  } catch (error) {
    port.postMessage({ control: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies ThreadToHost);
    return;
  }
  await serveCore(core, port);
}

if (!parentPort) throw new Error('electron/core/thread/worker.ts runs as a worker thread');
// After dispose the port closes and nothing else keeps the thread alive: it ends by itself.
void main(parentPort as unknown as PortLike, workerData as CoreThreadConfig).finally(() => parentPort?.close());
