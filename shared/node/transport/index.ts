export * from './secure-connection';
export * from './records';
