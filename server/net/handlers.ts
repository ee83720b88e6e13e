/**
 * The command table: one handler per request command. The mapped type makes
 * it exhaustive: a command added to `requestSpecs` without a handler does
 * not compile.
 */
import type { MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { Command, ResultCode, type requestSpecs, type RequestCommand } from '../../shared/protocol';
import type { Clock } from '../clock';
import type { Limits } from '../limits';
import type { Metrics } from '../metrics';
import type { AccountService } from '../services/accounts';
import type { AttachmentService } from '../services/attachments';
import type { DeviceService } from '../services/devices';
import type { Caller } from '../services/deps';
import { fail } from '../services/errors';
import type { FriendService } from '../services/friends';
import type { GroupService } from '../services/groups';
import type { MessageService } from '../services/messages';
import type { PresenceService } from '../services/presence';
import type { ProfileService } from '../services/profiles';
import type { SettingsService } from '../services/settings';
import type { SyncService } from '../services/sync';
import type { SessionRegistry } from './registry';
import type { Session } from './session';

type Spec<C extends RequestCommand> = (typeof requestSpecs)[C];
export type HandlerResult<C extends RequestCommand> = MessageInitShape<Spec<C>['response']>;
export type Handler<C extends RequestCommand> = (session: Session, request: MessageShape<Spec<C>['request']>) => HandlerResult<C> | Promise<HandlerResult<C>>;
export type HandlerTable = { [C in RequestCommand]: Handler<C> };

export interface Services {
  accounts: AccountService;
  friends: FriendService;
  profiles: ProfileService;
  groups: GroupService;
  messages: MessageService;
  sync: SyncService;
  presence: PresenceService;
  attachments: AttachmentService;
  devices: DeviceService;
  settings: SettingsService;
}

function caller(session: Session): Caller {
  return { userId: session.userId, sessionId: session.id };
}

export function createHandlers(services: Services, registry: SessionRegistry, limits: Limits, clock: Clock, metrics: Metrics): HandlerTable {
  const { accounts, friends, profiles, groups, messages, sync, presence, attachments, devices, settings } = services;

  /** Binds a successful login to the session, unless it went away or logged in meanwhile. */
  const bindLogin = async (session: Session, outcome: Awaited<ReturnType<AccountService['login']>>, attemptAt = 0) => {
    if (session.closed) throw fail(ResultCode.INTERNAL, 'connection closed during login');
    if (session.authenticated) throw fail(ResultCode.ALREADY_AUTHENTICATED, 'already logged in');
    await registry.bind(session, outcome.userId, outcome.deviceId, outcome.deviceName, outcome.kickOthers, attemptAt);
    return outcome.response;
  };
  const anonymousOnly = (session: Session) => {
    if (session.authenticated) throw fail(ResultCode.ALREADY_AUTHENTICATED, 'already logged in');
  };

  return {
    [Command.PING]: (_s, req) => ({ sentAt: req.sentAt, serverTime: BigInt(clock.now()) }),
    [Command.REGISTER]: async (s, req) => {
      anonymousOnly(s);
      return bindLogin(s, await limits.registration(s.conn.remoteAddress, () => accounts.register(req)));
    },
    [Command.LOGIN]: async (s, req) => {
      anonymousOnly(s);
      // Only password logins are throttled: a device token cannot be guessed, and must always work.
      const outcome = req.credential.case === 'password' ? await limits.passwordLogin(req.username, s.conn.remoteAddress, () => accounts.login(req)) : await accounts.login(req);
      // Only an order is needed: a value past 2^53 (no real clock) counts as not told.
      return bindLogin(s, outcome, req.attemptAt <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(req.attemptAt) : 0);
    },
    [Command.LOGOUT]: async (s, req) => {
      await accounts.logout(s.userId, s.deviceId, req.revokeDeviceToken);
      registry.unbind(s);
      return {};
    },
    // A `then`, not an `async` arrow: the hottest request keeps one promise and one closure instead of an async frame.
    [Command.MESSAGE_SEND]: (s, req) => {
      limits.takeSend(s.userId);
      return messages.send(caller(s), req).then((ack) => {
        if (ack.duplicate) {
          metrics.messagesDuplicate.inc();
          limits.refundSend(s.userId); // a resend of a stored message adds nothing
        } else metrics.messagesStored.inc();
        return ack;
      });
    },
    [Command.MESSAGE_RECALL]: async (s, req) => (await messages.recall(caller(s), req), {}),
    [Command.MESSAGE_EDIT]: async (s, req) => (await messages.edit(caller(s), req), {}),
    [Command.MESSAGE_REACT]: async (s, req) => (await messages.react(caller(s), req), {}),
    [Command.MESSAGE_HIDE]: async (s, req) => (await messages.hide(caller(s), req), {}),
    [Command.SYNC]: (s, req) => sync.sync(caller(s), req),
    [Command.MARK_READ]: async (s, req) => (await messages.markRead(caller(s), req), {}),
    [Command.TYPING]: async (s, req) => (await messages.typing(caller(s), req), {}),
    [Command.PRESENCE_QUERY]: (s, req) => presence.query(caller(s), req),
    [Command.FRIEND_REQUEST]: (s, req) => friends.request(caller(s), req),
    [Command.FRIEND_ACCEPT]: async (s, req) => (await friends.accept(caller(s), req), {}),
    [Command.FRIEND_DECLINE]: async (s, req) => (await friends.decline(caller(s), req), {}),
    [Command.FRIEND_REMOVE]: async (s, req) => (await friends.remove(caller(s), req.userId), {}),
    [Command.FRIEND_BLOCK]: async (s, req) => (await friends.block(caller(s), req.userId), {}),
    [Command.FRIEND_UNBLOCK]: async (s, req) => (await friends.unblock(caller(s), req.userId), {}),
    [Command.PROFILE_GET]: (s, req) => profiles.get(caller(s), req),
    [Command.PROFILE_UPDATE]: (s, req) => profiles.update(caller(s), req),
    [Command.USER_SEARCH]: (s, req) => profiles.search(caller(s), req),
    [Command.GROUP_CREATE]: (s, req) => groups.create(caller(s), req),
    [Command.GROUP_RENAME]: (s, req) => groups.rename(caller(s), req),
    [Command.GROUP_INVITE]: async (s, req) => (await groups.invite(caller(s), req), {}),
    [Command.GROUP_REMOVE]: async (s, req) => (await groups.remove(caller(s), req), {}),
    [Command.GROUP_LEAVE]: async (s, req) => (await groups.leave(caller(s), req.groupId), {}),
    [Command.GROUP_DISSOLVE]: async (s, req) => (await groups.dissolve(caller(s), req.groupId), {}),
    [Command.GROUP_SET_ROLE]: async (s, req) => (await groups.setRole(caller(s), req), {}),
    [Command.GROUP_MEMBERS]: (s, req) => groups.members(caller(s), req),
    [Command.GROUP_GET]: (s, req) => groups.get(caller(s), req.groupId),
    [Command.GROUP_READS]: (s, req) => groups.reads(caller(s), req.groupId),
    [Command.BLOB_UPLOAD_AUTH]: (s, req) => attachments.uploadAuth(caller(s), req),
    [Command.BLOB_DOWNLOAD_AUTH]: (s, req) => attachments.downloadAuth(caller(s), req),
    [Command.DEVICE_LIST]: (s) => devices.list(s),
    [Command.DEVICE_SIGN_OUT]: (s, req) => devices.signOut(s, req),
    [Command.CONVERSATION_SETTINGS_SET]: (s, req) => settings.setConversation(caller(s), req),
    [Command.PRIVACY_GET]: (s) => settings.getPrivacy(caller(s)),
    [Command.PRIVACY_SET]: (s, req) => settings.setPrivacy(caller(s), req),
  };
}
