/** `npm run cluster`'s flags, checked: a bad one is an error that names it and what it accepts. */
import { parseArgs } from 'node:util';
import { logLevels } from '../../server/config';

export const CLUSTER_USAGE = 'Usage: npm run cluster -- [--nodes N (1-32, default 3)] [--port P (node i on P + 2i, default 7800; 0 = free ports)] [--log-level LEVEL (default warn)]';

export interface ClusterFlags {
  nodes: number;
  port: number;
  logLevel: string;
  help: boolean;
}

export function parseClusterFlags(argv: string[]): ClusterFlags {
  const { values } = parseArgs({
    args: argv,
    options: { nodes: { type: 'string', default: '3' }, port: { type: 'string', default: '7800' }, 'log-level': { type: 'string', default: 'warn' }, help: { type: 'boolean', short: 'h', default: false } },
    strict: true,
  });
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 32) throw new Error(`--nodes must be a whole number from 1 to 32 (got ${values.nodes})`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port + 2 * nodes > 65535) throw new Error(`--port must be 0 (free ports) or a port with room for ${nodes} nodes after it (got ${values.port})`);
  const logLevel = values['log-level'];
  if (!(logLevels as readonly string[]).includes(logLevel)) throw new Error(`--log-level must be one of ${logLevels.join(', ')} (got ${logLevel})`);
  return { nodes, port, logLevel, help: values.help };
}
