export type { Migration } from '../../../../shared/node/sqlite/migrate';
