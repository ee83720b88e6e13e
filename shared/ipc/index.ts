export * from './types';
export * from './errors';
export * from './methods';
export * from './events';
export * from './api';
export * from './conversation-key';
export * from './settings';
export * from './channels';
