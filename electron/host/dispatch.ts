/**
 * One call from the UI, whichever transport carried it: validate the method
 * name and argument against the contract, route shell methods to the shell and
 * everything else to the core, and answer with a CallResult. Never throws.
 */
import {
  parseCall,
  isShellMethod,
  type CallResult,
  type CoreMethodName,
  type MessengerCore,
  type MethodResults,
  type ParsedArgs,
  type ShellMethodName,
} from '../../shared/ipc';
import { toErrorInfo } from './errors';

/** The methods a shell serves itself (Electron main: the updater; web: 'unsupported'), with validated arguments. */
export type ShellHandlers = { [M in ShellMethodName]: (args: ParsedArgs<M>) => Promise<MethodResults[M]> };

export interface DispatchLog {
  warn(obj: object, msg: string): void;
}

export type Dispatch = (method: unknown, args: unknown) => Promise<CallResult<unknown>>;

export { isShellMethod };

export function createDispatcher(core: Pick<MessengerCore, CoreMethodName>, shell: ShellHandlers, log?: DispatchLog): Dispatch {
  return async (method, args) => {
    const parsed = parseCall(method, args);
    if (!parsed.ok) {
      // The method name is logged (bounded), never the arguments: they may hold message text or passwords.
      log?.warn({ method: typeof method === 'string' ? method.slice(0, 64) : typeof method, code: parsed.error.code }, 'rejected call');
      return { ok: false, error: parsed.error };
    }
    try {
      let value: unknown;
      if (isShellMethod(parsed.method)) {
        // As below: the name/argument correlation is checked by parseCall, not expressible to TypeScript.
        const fn = shell[parsed.method] as (a: unknown) => Promise<unknown>;
        value = await fn(parsed.args);
      } else {
        const name: CoreMethodName = parsed.method;
        // parseCall returned the schema output for exactly this method name; the
        // correlation between `name` and `args` is not expressible to TypeScript.
        const fn = core[name] as (a: unknown) => Promise<unknown>;
        value = await fn.call(core, parsed.args);
      }
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  };
}
