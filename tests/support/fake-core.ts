/**
 * A minimal stand-in for the client core: every core method of the contract,
 * each rejecting with UNSUPPORTED unless the test supplies it, plus events.
 * The shells only transport and validate, so this is all they need.
 */
import { defaultSettings, methodNames, shellMethods, type CoreMethodName, type EventName, type MessengerCore, type MessengerEvents, type Settings } from '../../shared/ipc';
import { Emitter } from '../../shared/util/emitter';

export type FakeCore = MessengerCore & {
  emit<E extends EventName>(event: E, payload: MessengerEvents[E]): void;
  calls: Array<{ method: string; args: unknown }>;
  disposed: number;
  probes: number;
  probe(): void;
};

export const sampleSettings: Settings = {
  ...defaultSettings([{ host: '127.0.0.1', port: 7800, publicKey: 'A'.repeat(43) + '=' }]),
  language: 'en',
  notifications: { privacy: 'full', sound: true },
};

export function createFakeCore(overrides: Partial<Record<CoreMethodName, (args: never) => Promise<unknown>>> = {}): FakeCore {
  const events = new Emitter<MessengerEvents>();
  const core: Record<string, unknown> = {
    calls: [] as Array<{ method: string; args: unknown }>,
    disposed: 0,
    probes: 0,
  };
  const shell = new Set<string>(shellMethods);
  for (const method of methodNames) {
    if (shell.has(method)) continue;
    core[method] = async (args: unknown) => {
      (core.calls as Array<{ method: string; args: unknown }>).push({ method, args });
      const impl = overrides[method as CoreMethodName] as ((a: unknown) => Promise<unknown>) | undefined;
      if (impl) return impl(args);
      if (method === 'getSettings') return sampleSettings;
      throw Object.assign(new Error(`${method} not implemented by the fake`), { code: 'UNSUPPORTED' });
    };
  }
  core.on = events.on.bind(events);
  core.emit = events.emit.bind(events);
  core.dispose = async () => {
    core.disposed = (core.disposed as number) + 1;
  };
  core.probe = () => {
    core.probes = (core.probes as number) + 1;
  };
  return core as unknown as FakeCore;
}
