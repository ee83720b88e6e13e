/**
 * Every operation by name. A backend that runs operations away from their
 * caller (the SQLite worker thread) receives a name and finds the code here;
 * a module's exported operations are registered automatically, and a name
 * used twice is refused at start-up.
 */
import type { Operation } from '../storage/store';
import * as accounts from './accounts';
import * as blobs from './blobs';
import * as devices from './devices';
import * as friends from './friends';
import * as groups from './groups';
import * as messageActions from './message-actions';
import * as messages from './messages';
import * as presence from './presence';
import * as profiles from './profiles';
import * as resync from './resync';
import * as settings from './settings';
import * as sync from './sync';

function isOperation(value: unknown): value is Operation<unknown, unknown> {
  return typeof value === 'object' && value !== null && 'kind' in value && 'name' in value && 'run' in value;
}

function collect(...modules: Array<Record<string, unknown>>): Map<string, Operation<unknown, unknown>> {
  const byName = new Map<string, Operation<unknown, unknown>>();
  for (const module of modules) {
    for (const value of Object.values(module)) {
      if (!isOperation(value)) continue;
      if (byName.has(value.name) && byName.get(value.name) !== value) throw new Error(`two operations are named ${value.name}`);
      byName.set(value.name, value);
    }
  }
  return byName;
}

export const operations: ReadonlyMap<string, Operation<unknown, unknown>> = collect(accounts, blobs, devices, friends, groups, messageActions, messages, presence, profiles, resync, settings, sync);
