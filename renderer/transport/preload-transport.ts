import { eventNames, methodNames, subscriptionName, type MessengerApi } from '../../shared/ipc';
import { toMessengerError } from './errors';

/**
 * Wraps the preload's `window.tern`: same functions, but every rejection
 * becomes a MessengerError (the preload's plain error objects lose their
 * prototype crossing the context bridge).
 */
export function wrapPreloadApi(bridge: MessengerApi): MessengerApi {
  const api: Record<string, unknown> = {};
  for (const method of methodNames) {
    const fn = bridge[method] as (args: unknown) => Promise<unknown>;
    api[method] = (args: unknown) =>
      fn(args ?? {}).catch((error: unknown) => {
        throw toMessengerError(error);
      });
  }
  for (const event of eventNames) {
    const name = subscriptionName(event);
    api[name] = bridge[name];
  }
  return Object.freeze(api) as unknown as MessengerApi;
}
