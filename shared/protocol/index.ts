export * from './frame';
export * from './commands';
export * from './payload';
export { pushAckSeq } from './hot-decode';
export * from '../gen/tern/v1/protocol_pb';
export * from '../gen/tern/v1/messages_pb';
