/** Group service messages in the cache: the wire's GroupAction <-> the JSON kept in `messages.group_action`. */
import { groupActionKinds, type GroupAction } from '../../../shared/ipc';
import { groupActionKind, num, type WireMessage } from '../wire';
import { parseJson } from './context';

export function fromWireGroupAction(w: WireMessage['groupAction']): GroupAction | undefined {
  const kind = w ? groupActionKind.fromWire(w.kind) : undefined;
  // An action this app does not know (a newer server) is kept as an ordinary, empty message.
  if (!w || !kind) return undefined;
  return { kind, userIds: w.userIds.map(num), name: w.name };
}

export function parseGroupAction(json: string | null): GroupAction | undefined {
  if (json === null) return undefined;
  const v = parseJson<Partial<GroupAction> | undefined>(json, undefined);
  if (!v || !groupActionKinds.includes(v.kind as GroupAction['kind'])) return undefined;
  return { kind: v.kind as GroupAction['kind'], userIds: Array.isArray(v.userIds) ? v.userIds.filter((u) => typeof u === 'number') : [], name: typeof v.name === 'string' ? v.name : '' };
}
