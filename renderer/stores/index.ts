/**
 * Starting and stopping the stores as a whole: subscribe to the core's
 * events, then load what the signed-in screens need (conversations first,
 * so the list is usable before the rest arrives).
 */
import { watch } from 'vue';
import { useAttachmentsStore } from './attachments';
import { useConnectionStore } from './connection';
import { useContactsStore } from './contacts';
import { useConversationsStore } from './conversations';
import { useDevicesStore } from './devices';
import { useGroupsStore } from './groups';
import { useLinksStore } from './links';
import { useMessagesStore } from './messages';
import { useSessionStore } from './session';
import { useSettingsStore } from './settings';

export { useAttachmentsStore, useConnectionStore, useContactsStore, useConversationsStore, useDevicesStore, useGroupsStore, useLinksStore, useMessagesStore, useSessionStore, useSettingsStore };
export { useSearchStore } from './search';
export { useNavigationStore } from './navigation';

export function bindStores(): () => void {
  const offs = [
    useSessionStore().bind(),
    useConnectionStore().bind(),
    useConversationsStore().bind(),
    useMessagesStore().bind(),
    useContactsStore().bind(),
    useGroupsStore().bind(),
    useSettingsStore().bind(),
    useLinksStore().bind(),
    useAttachmentsStore().bind(),
    useDevicesStore().bind(),
  ];
  return () => offs.forEach((off) => off());
}

/** Loads the data of a signed-in session. */
export async function loadSignedIn(): Promise<void> {
  const conversations = useConversationsStore();
  conversations.reset();
  useMessagesStore().reset();
  useAttachmentsStore().reset();
  void useConnectionStore().refresh().catch(() => undefined);
  await Promise.allSettled([conversations.load(), useContactsStore().load(), useGroupsStore().load()]);
  // A link (or notification) that arrived before sign-in opens now.
  useLinksStore().openPending();
  // Otherwise the conversation that was open last time comes back, once the
  // login sync is done: what arrived meanwhile is then unread in it (marker and
  // "jump to first unread"), not read unseen while it streams in.
  await connectionSettled(RESTORE_WAIT_MS);
  await conversations.restoreLast();
}

const RESTORE_WAIT_MS = 15_000;

/** Resolves when the connection is online or offline (not connecting or syncing), or after `maxMs`. */
function connectionSettled(maxMs: number): Promise<void> {
  const connection = useConnectionStore();
  const settled = () => connection.status.state === 'online' || connection.status.state === 'offline';
  if (settled()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, maxMs);
    const stop = watch(() => connection.status.state, () => settled() && done());
    function done(): void {
      clearTimeout(timer);
      stop();
      resolve();
    }
  });
}
