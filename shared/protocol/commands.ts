/**
 * Which payload each request command carries and what its response carries.
 * The one table both the server (to decode requests) and the client (to
 * encode them and decode answers) use, so the two ends cannot drift apart.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { Command, type ResultCode } from '../gen/tern/v1/protocol_pb';
import * as pb from '../gen/tern/v1/messages_pb';
import type { Frame } from './frame';
import { encodePayload } from './payload';

export interface RequestSpec<Req extends DescMessage = DescMessage, Res extends DescMessage = DescMessage> {
  request: Req;
  response: Res;
  /** Allowed before login (handshake aside, only these). */
  anonymous?: true;
}

function spec<Req extends DescMessage, Res extends DescMessage>(request: Req, response: Res, anonymous?: true): RequestSpec<Req, Res> {
  return anonymous ? { request, response, anonymous } : { request, response };
}

/** Client -> server requests. Every one is answered with the same serial and command. */
export const requestSpecs = {
  [Command.PING]: spec(pb.PingSchema, pb.PongSchema, true),
  [Command.REGISTER]: spec(pb.RegisterRequestSchema, pb.LoginResponseSchema, true),
  [Command.LOGIN]: spec(pb.LoginRequestSchema, pb.LoginResponseSchema, true),
  [Command.LOGOUT]: spec(pb.LogoutRequestSchema, pb.EmptySchema),
  [Command.MESSAGE_SEND]: spec(pb.SendMessageRequestSchema, pb.SendMessageAckSchema),
  [Command.MESSAGE_RECALL]: spec(pb.RecallRequestSchema, pb.EmptySchema),
  [Command.SYNC]: spec(pb.SyncRequestSchema, pb.SyncResponseSchema),
  [Command.MARK_READ]: spec(pb.MarkReadRequestSchema, pb.EmptySchema),
  [Command.TYPING]: spec(pb.TypingRequestSchema, pb.EmptySchema),
  [Command.PRESENCE_QUERY]: spec(pb.PresenceQuerySchema, pb.PresenceListSchema),
  [Command.FRIEND_REQUEST]: spec(pb.FriendRequestSendSchema, pb.FriendRequestInfoSchema),
  [Command.FRIEND_ACCEPT]: spec(pb.FriendRequestAnswerSchema, pb.EmptySchema),
  [Command.FRIEND_DECLINE]: spec(pb.FriendRequestAnswerSchema, pb.EmptySchema),
  [Command.FRIEND_REMOVE]: spec(pb.UserRefSchema, pb.EmptySchema),
  [Command.FRIEND_BLOCK]: spec(pb.UserRefSchema, pb.EmptySchema),
  [Command.FRIEND_UNBLOCK]: spec(pb.UserRefSchema, pb.EmptySchema),
  [Command.PROFILE_GET]: spec(pb.ProfileGetRequestSchema, pb.ProfileListSchema),
  [Command.PROFILE_UPDATE]: spec(pb.ProfileUpdateRequestSchema, pb.ProfileSchema),
  [Command.USER_SEARCH]: spec(pb.UserSearchRequestSchema, pb.ProfileListSchema),
  [Command.GROUP_CREATE]: spec(pb.GroupCreateRequestSchema, pb.GroupInfoSchema),
  [Command.GROUP_RENAME]: spec(pb.GroupRenameRequestSchema, pb.GroupInfoSchema),
  [Command.GROUP_INVITE]: spec(pb.GroupMembersRequestSchema, pb.EmptySchema),
  [Command.GROUP_REMOVE]: spec(pb.GroupMembersRequestSchema, pb.EmptySchema),
  [Command.GROUP_LEAVE]: spec(pb.GroupRefSchema, pb.EmptySchema),
  [Command.GROUP_DISSOLVE]: spec(pb.GroupRefSchema, pb.EmptySchema),
  [Command.GROUP_SET_ROLE]: spec(pb.GroupSetRoleRequestSchema, pb.EmptySchema),
  [Command.GROUP_MEMBERS]: spec(pb.GroupMembersQuerySchema, pb.GroupMemberListSchema),
  [Command.GROUP_GET]: spec(pb.GroupRefSchema, pb.GroupInfoSchema),
  [Command.GROUP_READS]: spec(pb.GroupRefSchema, pb.GroupReadsSchema),
  [Command.BLOB_UPLOAD_AUTH]: spec(pb.BlobUploadAuthRequestSchema, pb.BlobUploadAuthSchema),
  [Command.BLOB_DOWNLOAD_AUTH]: spec(pb.BlobDownloadAuthRequestSchema, pb.BlobDownloadAuthSchema),
  [Command.MESSAGE_EDIT]: spec(pb.EditMessageRequestSchema, pb.EmptySchema),
  [Command.MESSAGE_REACT]: spec(pb.ReactRequestSchema, pb.EmptySchema),
  [Command.MESSAGE_HIDE]: spec(pb.HideRequestSchema, pb.EmptySchema),
  [Command.DEVICE_LIST]: spec(pb.EmptySchema, pb.DeviceListSchema),
  [Command.DEVICE_SIGN_OUT]: spec(pb.DeviceSignOutRequestSchema, pb.DeviceSignOutResultSchema),
  [Command.CONVERSATION_SETTINGS_SET]: spec(pb.ConversationSettingsUpdateSchema, pb.ConversationSettingsSchema),
  [Command.PRIVACY_GET]: spec(pb.EmptySchema, pb.PrivacySettingsSchema),
  [Command.PRIVACY_SET]: spec(pb.PrivacySettingsSchema, pb.PrivacySettingsSchema),
} as const satisfies Partial<Record<Command, RequestSpec>>;

export type RequestCommand = keyof typeof requestSpecs;

/** Server -> client pushes and their payloads. */
export const pushSpecs = {
  [Command.PUSH]: pb.SyncEventSchema,
  [Command.KICKED]: pb.KickedSchema,
  [Command.TYPING_PUSH]: pb.TypingNoticeSchema,
  [Command.PRESENCE_PUSH]: pb.PresenceSchema,
  [Command.ERROR]: pb.ErrorDetailSchema,
} as const satisfies Partial<Record<Command, DescMessage>>;

export type PushCommand = keyof typeof pushSpecs;

/**
 * The one shape of an unsolicited ERROR frame, whoever sends it (transport or
 * server): serial 0, the reason in the header's `code` and again in
 * `ErrorDetail.code` (PROTOCOL.md §3, §5). The connection closes after it.
 */
export function errorFrame(code: ResultCode, message: string): Frame {
  return { serial: 0, command: Command.ERROR, code, payload: encodePayload(pb.ErrorDetailSchema, { code, message }) };
}

/** The command a response carries: the request's own, except PING, which is answered by PONG. */
export function responseCommandOf(command: number): number {
  return command === Command.PING ? Command.PONG : command;
}

export function isRequestCommand(command: number): command is RequestCommand {
  return Object.prototype.hasOwnProperty.call(requestSpecs, command);
}

export function isPushCommand(command: number): command is PushCommand {
  return Object.prototype.hasOwnProperty.call(pushSpecs, command);
}

/** Current protocol version, sent in HandshakeRequest. */
export const PROTOCOL_VERSION = 1;
