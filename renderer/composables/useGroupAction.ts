/**
 * Words a group service message ("Alice added Bob and you"): the actor is
 * the message's sender; "You"/"you" for the signed-in user; other people by
 * nickname, fetched lazily when unknown (then "#id" until they arrive).
 */
import { useI18n } from 'vue-i18n';
import type { GroupAction } from '../../shared/ipc';
import { useContactsStore, useSessionStore } from '../stores';

export function useGroupAction() {
  const { t, locale } = useI18n();
  const contacts = useContactsStore();
  const session = useSessionStore();

  function name(userId: number, capital: boolean): string {
    if (userId === session.myId) return t(capital ? 'groupActions.you' : 'groupActions.youObject');
    const profile = contacts.profileOf(userId);
    if (!profile) contacts.ensureProfiles([userId]);
    return profile ? profile.nickname || profile.username : `#${userId}`;
  }

  function describe(action: GroupAction, actorId: number): string {
    const users = new Intl.ListFormat(locale.value, { type: 'conjunction' }).format(action.userIds.map((id) => name(id, false)));
    return t(`groupActions.${action.kind}`, { actor: name(actorId, true), users, name: action.name });
  }

  return { describe };
}
