/** The open cache of one account: the repositories over one connection, and batched sync apply. */
import type { Contact, ConversationKey, ConversationView, FriendRequestView, GroupMemberView, GroupView, MessageView, PrivacySettings, Profile } from '../../../shared/ipc';
import type { SyncDomain } from '../../../shared/protocol';
import { assertNever } from '../../../shared/util/assert';
import type { AppliedChanges, Cache, MessageAck, NewOutgoingMessage, OutboxEntry } from './api';
import type { WireSyncEvent } from '../wire';
import { Contacts, Presence } from './contacts';
import type { CacheContext } from './context';
import { Conversations } from './conversations';
import { Groups, Members } from './groups';
import { Messages } from './messages';
import { schemaVersion } from './migrations';
import { LocalFiles } from './local-files';
import { blobsOf } from '../attachments/stored';
import { Outbox } from './outbox';
import { Profiles } from './profiles';
import { Search, SearchIndex } from './search';
import { SyncState } from './sync-state';
import { lastSeenVisibility, num, profileFromWire } from '../wire';
import { PRIVACY_LAST_SEEN } from './sync-state';
import { directKey, groupKey } from '../../../shared/ipc/conversation-key';

export class OpenedCache implements Cache {
  readonly messages: Messages;
  readonly conversations: Conversations;
  readonly outbox: Outbox;
  readonly contacts: Contacts;
  readonly profiles: Profiles;
  readonly groups: Groups;
  readonly members: Members;
  readonly syncState: SyncState;
  readonly search: Search;
  readonly localFiles: LocalFiles;
  private closed = false;

  constructor(
    private readonly ctx: CacheContext,
    readonly path: string,
  ) {
    const presence = new Presence();
    this.conversations = new Conversations(ctx);
    this.messages = new Messages(ctx, this.conversations, new SearchIndex(ctx));
    this.outbox = new Outbox(ctx);
    this.profiles = new Profiles(ctx);
    this.contacts = new Contacts(ctx, this.profiles, presence);
    this.groups = new Groups(ctx);
    this.members = new Members(ctx, this.profiles, presence);
    this.syncState = new SyncState(ctx);
    this.search = new Search(ctx);
    this.localFiles = new LocalFiles(ctx);
  }

  get userId(): number {
    return this.ctx.userId;
  }

  transaction<T>(fn: () => T): T {
    return this.ctx.db.transaction(fn);
  }

  schemaVersion(): number {
    return schemaVersion(this.ctx.db.raw);
  }

  statementsRun(): number {
    return this.ctx.db.statements;
  }

  enqueueOutgoing(message: NewOutgoingMessage): { message: MessageView; entry: OutboxEntry; conversation: ConversationView } {
    return this.ctx.db.transaction(() => {
      const { message: view } = this.messages.enqueue(message);
      const entry = this.outbox.add({
        clientMsgId: message.id,
        key: message.key,
        payload: {
          text: message.text,
          mentions: message.mentions ?? [],
          replyToMsgId: message.replyTo?.serverId ?? 0,
          ...(message.attachments && message.attachments.length > 0 ? { attachments: message.attachments } : {}),
        },
        createdAt: message.createdAt,
      });
      return { message: view, entry, conversation: this.conversations.get(message.key)! };
    });
  }

  acknowledgeOutgoing(id: string, ack: MessageAck): { message: MessageView; conversation?: ConversationView } | undefined {
    return this.ctx.db.transaction(() => {
      const acked = this.messages.acknowledge(id, ack);
      this.outbox.remove(id);
      if (!acked) return undefined;
      // Its files are on the server now: ordinary cache from here on (statements only for messages with files).
      if (acked.message.attachments) this.localFiles.unpin(blobsOf(this.messages.storedAttachments(id)?.list ?? []).map((r) => r.digest));
      const conversation = acked.lastChanged ? this.conversations.get(acked.message.conversationKey) : undefined;
      return conversation ? { message: acked.message, conversation } : { message: acked.message };
    });
  }

  checkIntegrity(): string[] {
    try {
      const rows = this.ctx.db.raw.pragma('quick_check') as { quick_check: string }[];
      return rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    } catch (err) {
      // Badly damaged pages make the check itself fail (SQLITE_CORRUPT).
      return [err instanceof Error ? err.message : String(err)];
    }
  }

  applySyncEvents(events: readonly WireSyncEvent[]): AppliedChanges {
    return this.ctx.db.transaction(() => {
      const messages = new Map<string, MessageView>();
      const removed = new Map<ConversationKey, string[]>();
      const convKeys = new Set<ConversationKey>();
      const friends = new Map<number, Contact>();
      const requests = new Map<number, FriendRequestView>();
      const profiles = new Map<number, Profile>();
      const groups = new Map<number, GroupView>();
      const memberGroups = new Set<number>();
      let settingsChanged = false;
      let privacy: PrivacySettings | undefined;
      const cursors: Partial<Record<SyncDomain, number>> = {};

      for (const ev of events) {
        const seq = num(ev.seq);
        const e = ev.event;
        switch (e.case) {
          case 'message': {
            const r = this.messages.applyServerMessage(e.value);
            if (r.change !== 'unchanged') {
              messages.set(r.message.id, r.message);
              convKeys.add(r.message.conversationKey);
            }
            break;
          }
          case 'recalled': {
            const m = this.messages.applyRecall(e.value);
            if (m) {
              messages.set(m.id, m);
              convKeys.add(m.conversationKey);
            }
            break;
          }
          case 'edited': {
            const m = this.messages.applyEdit(e.value);
            if (m) {
              messages.set(m.id, m);
              convKeys.add(m.conversationKey);
            }
            break;
          }
          case 'reactions': {
            const m = this.messages.applyReactions(e.value);
            if (m) messages.set(m.id, m);
            break;
          }
          case 'hidden': {
            const r = this.messages.applyHidden(e.value);
            if (r) {
              messages.delete(r.id);
              removed.set(r.key, [...(removed.get(r.key) ?? []), r.id]);
              convKeys.add(r.key);
            }
            break;
          }
          case 'receipt': {
            const r = this.messages.applyReceipt(e.value);
            for (const m of r.messages) messages.set(m.id, m);
            if (r.conversation) convKeys.add(r.conversation.key);
            break;
          }
          case 'friend': {
            const r = this.contacts.applyFriend(e.value, seq);
            if (r.change !== 'unchanged' && r.contact) friends.set(r.contact.userId, r.contact);
            if (r.change !== 'unchanged') convKeys.add(directKey(num(e.value.userId)));
            break;
          }
          case 'friendRequest': {
            const r = this.contacts.applyFriendRequest(e.value, seq);
            if (r.change !== 'unchanged') requests.set(r.request.id, r.request);
            break;
          }
          case 'profile': {
            if (this.profiles.upsert(e.value)) {
              const p = profileFromWire(e.value);
              profiles.set(p.userId, p);
              const friend = this.contacts.getFriend(p.userId);
              if (friend) friends.set(p.userId, friend);
              convKeys.add(directKey(p.userId));
            }
            break;
          }
          case 'group': {
            const r = this.groups.apply(e.value, seq);
            if (r.change !== 'unchanged') {
              groups.set(r.group.id, r.group);
              convKeys.add(groupKey(r.group.id));
            }
            break;
          }
          case 'conversationSettings': {
            const key = this.conversations.applySettings(e.value, seq);
            if (key) {
              convKeys.add(key);
              settingsChanged = true;
            }
            break;
          }
          case 'privacy': {
            const lastSeen = lastSeenVisibility.fromWire(e.value.lastSeen) ?? 'everyone';
            this.syncState.setMeta(PRIVACY_LAST_SEEN, lastSeen);
            privacy = { lastSeen };
            break;
          }
          case 'member': {
            const r = this.members.apply(e.value, seq);
            if (r.change !== 'unchanged') memberGroups.add(num(e.value.groupId));
            break;
          }
          case undefined:
            break;
          default:
            assertNever(e, 'sync event');
        }
        if (seq > (cursors[ev.domain] ?? 0)) cursors[ev.domain] = seq;
      }
      for (const [domain, seq] of Object.entries(cursors)) this.syncState.setCursor(Number(domain) as SyncDomain, seq);

      const conversations = [...convKeys].map((k) => this.conversations.get(k)).filter((c) => c !== undefined);
      const members: { groupId: number; members: GroupMemberView[] }[] = [...memberGroups].map((groupId) => ({
        groupId,
        members: this.members.list(groupId),
      }));
      const changes: AppliedChanges = {
        messages: [...messages.values()],
        conversations,
        friends: [...friends.values()],
        friendRequests: [...requests.values()],
        profiles: [...profiles.values()],
        groups: [...groups.values()],
        members,
        cursors,
      };
      if (removed.size > 0) changes.removed = [...removed].map(([key, ids]) => ({ key, ids }));
      if (conversations.length > 0) changes.unreadTotal = this.conversations.unreadTotal();
      if (settingsChanged) changes.settingsChanged = true;
      if (privacy) changes.privacy = privacy;
      return changes;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ctx.db.raw.pragma('optimize');
    } catch {
      // best effort
    }
    this.ctx.db.close();
  }
}
