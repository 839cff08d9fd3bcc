// Storage: opening the database, its schema, and the write transaction both backends share.
export { openStore, writeTransaction, errorMessage, type Store, type Dialect, type OpenOptions, type SqliteWriter, type PreparedStatement } from './connect.js';
export { RecentReads } from './recent-reads.js';
export { GroupCommit, refusesOneRow, refusesOneRowPg } from './group-commit.js';
export { preparePrivateDir, makePrivate, DataDirError } from './private-dir.js';
export { storageFault, type StorageFault, type StorageFaultKind } from './faults.js';
export { StorageHealth, type StorageState } from './health.js';
export type * from './schema.js';
