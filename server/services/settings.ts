/** Settings a user shares across devices: conversation settings and last-seen privacy (operations/settings.ts). */
import { LastSeenVisibility, type ConversationSettings, type ConversationSettingsUpdate, type PrivacySettings } from '../../shared/protocol';
import { getPrivacy, setConversationSettings, setPrivacy } from '../operations/settings';
import type { Caller, ServiceDeps } from './deps';
import { invalid } from './errors';
import type { PresenceService } from './presence';
import { requireConversationRef, toNumber } from './validate';

export class SettingsService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly presence: PresenceService,
  ) {}

  setConversation(caller: Caller, req: ConversationSettingsUpdate): Promise<ConversationSettings> {
    const target = requireConversationRef(req.conversation);
    if (req.pinned === undefined && req.mutedUntil === undefined && req.markedUnread === undefined) {
      throw invalid('pinned', 'set at least one of pinned, muted_until, marked_unread');
    }
    return this.deps.run.write(setConversationSettings, {
      userId: caller.userId,
      target,
      ...(req.pinned !== undefined ? { pinned: req.pinned } : {}),
      ...(req.mutedUntil !== undefined ? { mutedUntil: toNumber('muted_until', req.mutedUntil) } : {}),
      ...(req.markedUnread !== undefined ? { markedUnread: req.markedUnread } : {}),
    });
  }

  getPrivacy(caller: Caller): Promise<PrivacySettings> {
    return this.deps.run.read(getPrivacy, caller.userId);
  }

  async setPrivacy(caller: Caller, req: PrivacySettings): Promise<PrivacySettings> {
    const lastSeen = req.lastSeen === LastSeenVisibility.UNSPECIFIED ? LastSeenVisibility.EVERYONE : req.lastSeen;
    if (!Object.values(LastSeenVisibility).includes(lastSeen)) throw invalid('last_seen', 'unknown last_seen visibility');
    const { privacy, changed } = await this.deps.run.write(setPrivacy, { userId: caller.userId, lastSeen });
    if (changed) await this.presence.privacyChanged(caller.userId);
    return privacy;
  }
}
