// Opens the database Postroom runs on: an embedded SQLite file (WAL) by default, PostgreSQL
// when a URL is given; then brings the schema up to date before anything else touches it.
import fs from 'node:fs';
import path from 'node:path';
import type SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration, type MigrationProvider, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.js';
import { initial } from './migrations/001_initial.js';
import { instances } from './migrations/002_instances.js';
import { access } from './migrations/003_access.js';
import { security } from './migrations/004_security.js';
import { recipients } from './migrations/005_recipients.js';
import { graphSlots } from './migrations/007_graph_slots.js';
import { privateWebhooks } from './migrations/010_private_webhooks.js';
import { auditLog } from './migrations/011_audit_log.js';
import { makePrivate, preparePrivateDir } from './private-dir.js';
import { webhooks } from './migrations/008_webhooks.js';
import { bounces } from './migrations/009_bounces.js';
import { MAIN_THREAD_CHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from './checkpointer.js';
import { StorageHealth } from './health.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for messages: the SQLite file or the PostgreSQL host/database. */
  location: string;
  /** SQLite only: write transactions of prepared statements, for the hottest paths. */
  sqlite?: SqliteWriter;
  /** Whether writes succeed: every write path reports its storage faults here (/healthz reads it). */
  health: StorageHealth;
  close(): Promise<void>;
}

/** A statement taken from the connection's cache: prepared once, run again and again. */
export type PreparedStatement = SQLite.Statement;

/**
 * Writes on the SQLite connection without Kysely. Building and compiling a Kysely query costs
 * more than SQLite running it; the sending process and the hand-over run the same few statements
 * for every e-mail, so those paths prepare their SQL once and bind values.
 */
export interface SqliteWriter {
  /**
   * Runs fn as one BEGIN IMMEDIATE transaction, committed when fn returns, rolled back when it
   * throws. It holds Kysely's connection meanwhile, so no Kysely statement can run inside it
   * (or it inside one of theirs). fn is synchronous, as better-sqlite3 is.
   */
  transaction<T>(fn: (prepare: (sql: string) => PreparedStatement) => T): Promise<T>;
  /**
   * Checkpoints the WAL from a thread of its own from now until the store closes (idempotent).
   * For long-running writers (the sending process): a short-lived CLI command need not pay a thread.
   */
  checkpointInBackground(): void;
}

export interface OpenOptions {
  /** postgres://… ; absent: SQLite in dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** PostgreSQL schema to work in (tests isolate themselves this way). */
  pgSchema?: string | undefined;
}


export async function openStore(options: OpenOptions): Promise<Store> {
  const store = options.databaseUrl ? await openPostgres(options.databaseUrl, options.pgSchema) : await openSqlite(options.dataDir);
  try {
    await migrate(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

async function openSqlite(dataDir: string): Promise<Store> {
  // Each driver is loaded when its database is opened: a `postroom --help` loads neither.
  const { default: SQLite } = await import('better-sqlite3');
  preparePrivateDir(dataDir);
  const file = path.join(dataDir, 'postroom.sqlite');
  // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the same mode.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  makePrivate(file);
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  // Files left by an older version (or another umask) are tightened too.
  for (const extra of ['-wal', '-shm']) makePrivate(file + extra);
  // NORMAL is durable across process crashes in WAL mode; only a power cut can lose the last commit.
  database.pragma('synchronous = NORMAL');
  // Checkpoints are the background thread's job once a long-running writer asks for it; until
  // then SQLite's own (every 1,000 pages) applies.
  const mainCheckpointPages = Number(database.pragma('wal_autocheckpoint', { simple: true }));
  // The CLI and `serve` share the file: wait for the other's write instead of failing.
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // SQLite's own lower() folds only ASCII: searching the outbox for "Été" missed "Été" itself.
  database.function('lower', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
  const cached = withStatementCache(database);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached }) });
  const prepare = (sqlText: string) => cached.prepare(sqlText) as PreparedStatement;
  let checkpointer: Checkpointer | null = null;
  const sqlite: SqliteWriter = {
    checkpointInBackground() {
      if (checkpointer) return;
      checkpointer = startCheckpointer(file);
      database.pragma(`wal_autocheckpoint = ${Math.max(mainCheckpointPages, MAIN_THREAD_CHECKPOINT_PAGES)}`);
    },
    transaction: (fn) =>
      db.connection().execute(async () => {
        // Holding Kysely's only connection, nothing else can have a transaction open here; were
        // one open, better-sqlite3 would nest ours in a savepoint and its rollback would undo ours.
        if (database.inTransaction) throw new Error('a transaction is already open on the SQLite connection');
        return database.transaction(() => fn(prepare)).immediate();
      }),
  };
  const close = async () => {
    await checkpointer?.stop();
    await db.destroy();
  };
  return { db, dialect: 'sqlite', location: file, sqlite, health: new StorageHealth(), close };
}

/**
 * Kysely prepares every statement anew; compiling the SQL is a large part of a small query's
 * cost, and the sending process runs the same few statements for every e-mail. A statement is
 * safe to reuse here: Kysely runs one at a time on this connection and reads it to the end.
 */
function withStatementCache(database: SQLite.Database, size = 200): SqliteDatabase & { prepare(sql: string): SQLite.Statement } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (statement) {
        // Least recently used goes first: move this one to the end.
        cache.delete(sqlText);
      } else {
        statement = database.prepare(sqlText);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sqlText, statement);
      return statement;
    },
  };
}

async function openPostgres(url: string, schema?: string): Promise<Store> {
  // Loaded for PostgreSQL only: SQLite's users (and every `postroom` command on them) skip it.
  const { default: pg } = await import('pg');
  // bigint (int8) holds our millisecond times and ids; they fit in a double for 285,000 years.
  pg.types.setTypeParser(20, (v) => Number(v));
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // A dropped idle connection (server restart) must not crash the process: the pool replaces it.
  pool.on('error', () => undefined);
  // Nor a dropped connection that is checked out between two statements (in a transaction, or the
  // purge's pinned lock connection): with no query to fail, pg emits the error on the client, and
  // unheard it kills the process. Its next query fails instead, and the pool discards it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const parsed = new URL(url);
  return {
    db,
    dialect: 'postgres',
    location: `postgres://${parsed.host}${parsed.pathname}`,
    health: new StorageHealth(),
    close: () => db.destroy(),
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '001_initial': initial(this.dialect),
      '002_instances': instances(this.dialect),
      '003_access': access(this.dialect),
      '004_security': security(this.dialect),
      '005_recipients': recipients(),
      '007_graph_slots': graphSlots(this.dialect),
      '008_webhooks': webhooks(this.dialect),
      '009_bounces': bounces(this.dialect),
      '010_private_webhooks': privateWebhooks(),
      '011_audit_log': auditLog(this.dialect),
    };
  }
}

async function migrate(store: Store): Promise<void> {
  const provider = new StaticProvider(store.dialect);
  // PostgreSQL: Kysely serialises concurrent migrators with an advisory lock. SQLite: its
  // migration lock is a no-op (it assumes one connection), so two processes starting on a fresh
  // file (`serve` and a CLI command) raced to create the same tables. Taking SQLite's write lock
  // first makes the second wait, then find the migrations done.
  // Kysely looks for its migration tables in every schema unless told which: a second Postroom
  // schema (or any Kysely app) in the same database made it skip creating its own, then fail.
  const pgSchema =
    store.dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db)).rows[0]?.schema : undefined;
  const run = () =>
    store.dialect === 'postgres'
      ? new Migrator({ db: store.db, provider, allowUnorderedMigrations: true, ...(pgSchema ? { migrationTableSchema: pgSchema } : {}) }).migrateToLatest()
      : writeTransaction(store, (trx) => new Migrator({ db: trx, provider, allowUnorderedMigrations: true, disableTransactions: true }).migrateToLatest());
  let { error, results } = await run();
  // Kysely's introspection reads the catalog of every schema in the database: one that another
  // tenant (or test) drops meanwhile fails the read with "does not exist" though nothing is wrong
  // here. No migration ran yet (no results), so looking again is safe.
  // A table of that other schema changed under the read names no schema at all ("column "source" of
  // relation "email_events" does not exist", seen in CI): as nothing ran yet, it is looked at again too.
  const otherSchemaGone = (err: unknown) => {
    const message = errorMessage(err);
    if (/^column "[^"]+" of relation "[^"]+" does not exist$/.test(message)) return true;
    const gone = /^(?:schema "([^"]+)"|relation "([^".]+)\.[^"]+") does not exist$/.exec(message);
    return gone !== null && (gone[1] ?? gone[2]) !== pgSchema;
  };
  for (let retry = 0; error && results === undefined && otherSchemaGone(error) && retry < 5; retry++) ({ error, results } = await run());
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed on ${store.location}: ${errorMessage(error)}`);
  }
}

/**
 * Runs fn in a transaction that takes the write lock up front. On SQLite a deferred
 * transaction that reads then writes can fail with SQLITE_BUSY when another process
 * wrote in between; BEGIN IMMEDIATE queues behind the busy timeout instead.
 */
export async function writeTransaction<T>(store: Store, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  try {
    const result = await (store.dialect === 'postgres' ? store.db.transaction().execute(fn) : sqliteTransaction(store, fn));
    store.health.succeeded();
    return result;
  } catch (err) {
    store.health.failed(err);
    throw err;
  }
}

function sqliteTransaction<T>(store: Store, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return store.db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`COMMIT`.execute(conn);
      return result;
    } catch (err) {
      // SQLite has already rolled back after some errors (a full disk, an I/O error): its
      // "cannot rollback - no transaction is active" must not take the place of the real error.
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
