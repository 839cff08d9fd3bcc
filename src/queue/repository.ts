// The SQL that stores and reads e-mails, their attempts and attachments, and purges finished
// ones. Every status change is a verb of the lifecycle (lifecycle.ts), not here.
import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import { FINISHED } from './states.js';
import { insertEmailSqlite } from './hand-over-statements.js';
import { GroupCommit, refusesOneRowPg, writeTransaction, type Database, type EmailStatus, type EmailTable, type Store } from '../db/index.js';

export type EmailRow = Selectable<EmailTable>;
export type AttemptRow = Selectable<Database['attempts']>;

export interface NewEmail {
  /** What a hand-over sets: the report columns are bounce processing's, written later. */
  row: Omit<EmailTable, 'id' | 'claim_count' | 'attempt_count' | 'reports' | 'sent_message_id'>;
  attachments: { filename: string; contentType: string; contentId: string | null; sha256: string; content: Buffer }[];
}

export interface AttemptRecord {
  startedAt: number;
  finishedAt: number;
  route: string;
  outcome: AttemptRow['outcome'];
  replyCode: number | null;
  reply: string | null;
}

export interface ListFilter {
  status?: EmailStatus | undefined;
  limit: number;
  /** Cursor: only e-mails older (smaller id) than this. */
  beforeId?: number | undefined;
  /** Only what this source handed over (a host token sees its own e-mails). */
  source?: string | undefined;
  /** Case-insensitive search in the subject and the recipients. */
  text?: string | undefined;
}


interface StatusSince {
  status: EmailStatus;
  since?: number | undefined;
}

/** One status, changed at or after `since` when given: the one filter of a bulk retry. */
const statusSince =
  ({ status, since }: StatusSince) =>
  (eb: ExpressionBuilder<Database, 'emails'>) =>
    since === undefined ? eb('status', '=', status) : eb.and([eb('status', '=', status), eb('updated_at', '>=', since)]);

export class EmailRepository {
  /**
   * SQLite: hand-overs that arrive together share a commit (see GroupCommit), each written by
   * prepared statements with its attachments; null on PostgreSQL.
   */
  private readonly handOvers: GroupCommit<NewEmail, number> | null;
  /**
   * PostgreSQL: hand-overs without attachments that arrive together are one multi-row insert,
   * one round trip and one commit; a row a constraint refuses sends the group again one by one.
   */
  private readonly pgHandOvers: GroupCommit<NewEmail['row'], number> | null;
  /** SQLite: a batch of hand-overs is one item of a group commit, so it is stored whole or not at all. */
  private readonly batches: GroupCommit<NewEmail[], number[]> | null;

  constructor(private readonly store: Store) {
    this.handOvers = store.sqlite ? GroupCommit.withStatements(store, insertEmailSqlite) : null;
    this.batches = store.sqlite ? GroupCommit.withStatements(store, (prepare, emails: NewEmail[]) => emails.map((e) => insertEmailSqlite(prepare, e))) : null;
    this.pgHandOvers = store.sqlite ? null : new GroupCommit((rows) => this.insertRows(rows), { refusesOne: refusesOneRowPg, health: store.health });
  }

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  async insert(email: NewEmail): Promise<number> {
    if (this.handOvers) return this.handOvers.submit(email);
    // One statement is atomic by itself: no transaction round trips for the common case.
    if (email.attachments.length === 0 && this.pgHandOvers) return this.pgHandOvers.submit(email.row);
    return writeTransaction(this.store, (trx) => this.insertOne(trx, email));
  }

  /** An e-mail with its attachments, in the caller's transaction (PostgreSQL). */
  private async insertOne(trx: Kysely<Database>, email: NewEmail): Promise<number> {
    for (const a of email.attachments) {
      await trx
        .insertInto('blobs')
        .values({ sha256: a.sha256, size: a.content.length, content: a.content })
        .onConflict((oc) => oc.column('sha256').doNothing())
        .execute();
    }
    const { id } = await trx
      .insertInto('emails')
      .values({ ...email.row, claim_count: 0, attempt_count: 0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    let position = 0;
    for (const a of email.attachments) {
      await trx
        .insertInto('email_attachments')
        .values({ email_id: id, position: position++, filename: a.filename, content_type: a.contentType, content_id: a.contentId, blob_sha256: a.sha256 })
        .execute();
    }
    return id;
  }

  /**
   * Stores every e-mail in one transaction and returns their ids in order: all are stored, or
   * none (a constraint refusing one row refuses the batch; the caller sorts it out).
   */
  async insertMany(emails: NewEmail[]): Promise<number[]> {
    if (emails.length === 0) return [];
    if (this.batches) return this.batches.submit(emails);
    return writeTransaction(this.store, async (trx) => {
      const ids = new Map<NewEmail, number>();
      const plain = emails.filter((e) => e.attachments.length === 0);
      // Without attachments: one multi-row insert per 500 rows (PostgreSQL takes 65,535 parameters, a row 28).
      for (let i = 0; i < plain.length; i += 500) {
        const chunk = plain.slice(i, i + 500);
        const stored = await this.insertRows(chunk.map((e) => e.row), trx);
        chunk.forEach((e, k) => ids.set(e, stored[k] as number));
      }
      for (const e of emails) if (e.attachments.length > 0) ids.set(e, await this.insertOne(trx, e));
      return emails.map((e) => ids.get(e) as number);
    });
  }

  /** One insert for all the rows; each row's id is found by its Message-ID (unique, made here). */
  private async insertRows(rows: NewEmail['row'][], db: Kysely<Database> = this.db): Promise<number[]> {
    const stored = await db
      .insertInto('emails')
      .values(rows.map((row) => ({ ...row, claim_count: 0, attempt_count: 0 })))
      .returning(['id', 'message_id'])
      .execute();
    const ids = new Map(stored.map((r) => [r.message_id, r.id]));
    return rows.map((r) => {
      const id = ids.get(r.message_id);
      if (id === undefined) throw new Error(`the insert returned no id for ${r.message_id}`);
      return id;
    });
  }

  /** The caller's e-mails among these idempotency keys, by key. */
  async findByIdempotencyKeys(source: string, keys: string[]): Promise<Map<string, EmailRow>> {
    const found = new Map<string, EmailRow>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await this.db.selectFrom('emails').selectAll().where('source', '=', source).where('idempotency_key', 'in', keys.slice(i, i + 500)).execute();
      for (const r of rows) if (r.idempotency_key !== null) found.set(r.idempotency_key, r);
    }
    return found;
  }

  /** Keys are the caller's own: another source's e-mail with the same key is never returned. */
  async findByIdempotencyKey(source: string, key: string): Promise<EmailRow | undefined> {
    return this.db.selectFrom('emails').selectAll().where('source', '=', source).where('idempotency_key', '=', key).executeTakeFirst();
  }

  async get(id: number): Promise<EmailRow | undefined> {
    return this.db.selectFrom('emails').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async attempts(id: number): Promise<AttemptRow[]> {
    return this.db.selectFrom('attempts').selectAll().where('email_id', '=', id).orderBy('id').execute();
  }

  /** Attachment bytes are read only here, one e-mail at a time, just before it is sent. */
  async attachments(id: number) {
    return this.db
      .selectFrom('email_attachments as a')
      .innerJoin('blobs as b', 'b.sha256', 'a.blob_sha256')
      .select(['a.filename', 'a.content_type', 'a.content_id', 'b.content'])
      .where('a.email_id', '=', id)
      .orderBy('a.position')
      .execute();
  }

  async attachmentList(id: number) {
    return this.db
      .selectFrom('email_attachments as a')
      .innerJoin('blobs as b', 'b.sha256', 'a.blob_sha256')
      .select(['a.filename', 'a.content_type', 'a.content_id', 'b.size'])
      .where('a.email_id', '=', id)
      .orderBy('a.position')
      .execute();
  }

  async list(filter: ListFilter): Promise<EmailRow[]> {
    let q = this.db.selectFrom('emails').selectAll().orderBy('id', 'desc').limit(filter.limit);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    if (filter.source !== undefined) q = q.where('source', '=', filter.source);
    if (filter.text) {
      const pattern = `%${filter.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const like = (col: 'subject' | 'to_addrs' | 'cc_addrs' | 'bcc_addrs') => sql<boolean>`lower(${sql.ref(col)}) like ${pattern} escape '\\'`;
      // Recipients are JSON ([{"email":…,"name":…}]): without this, "email" or "name" matched every e-mail.
      const likeAddresses = (col: 'to_addrs' | 'cc_addrs' | 'bcc_addrs') =>
        sql<boolean>`lower(replace(replace(${sql.ref(col)}, '"email":', ''), '"name":', '')) like ${pattern} escape '\\'`;
      q = q.where((eb) => eb.or([like('subject'), likeAddresses('to_addrs'), likeAddresses('cc_addrs'), likeAddresses('bcc_addrs')]));
    }
    return q.execute();
  }

  /** Ids, newest first, of e-mails of one status changed since a time: what a bulk retry takes. */
  async idsFor(filter: StatusSince & { beforeId?: number | undefined; limit: number }): Promise<number[]> {
    let q = this.db.selectFrom('emails').select('id').where(statusSince(filter)).orderBy('id', 'desc').limit(filter.limit);
    if (filter.beforeId !== undefined) q = q.where('id', '<', filter.beforeId);
    return (await q.execute()).map((r) => r.id);
  }

  /** How many e-mails idsFor would go through: for the confirmation that says how many. */
  async countFor(filter: StatusSince): Promise<number> {
    const q = this.db.selectFrom('emails').select((eb) => eb.fn.countAll<number>().as('n')).where(statusSince(filter));
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  /** Milliseconds the oldest due e-mail (pending or error, due now) has waited; 0 when none. */
  async oldestDueAgeMs(now: number): Promise<number> {
    const row = await this.db
      .selectFrom('emails')
      .select((eb) => eb.fn.min('due_at').as('due'))
      .where('due_at', '<=', now)
      .where('status', 'in', ['pending', 'error'])
      .executeTakeFirst();
    const due = row?.due === null || row?.due === undefined ? null : Number(row.due);
    return due === null ? 0 : now - due;
  }

  /**
   * Sent and failed e-mails per hour since `since` (ms), from when each finished: the outbox
   * chart. Reads only the partial index on finished_at, so it stays cheap with a large table.
   */
  async finishedPerHour(since: number): Promise<{ hour: number; status: EmailStatus; n: number }[]> {
    const hour = sql<number>`(finished_at / 3600000)`;
    const rows = await this.db
      .selectFrom('emails')
      .select([hour.as('hour'), 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('finished_at', '>=', since)
      .where('status', 'in', ['sent', 'failed', 'bounced'])
      .groupBy([hour, 'status'])
      .execute();
    return rows.map((r) => ({ hour: Math.floor(Number(r.hour)), status: r.status, n: Number(r.n) }));
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('emails')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /**
   * The purge as the sending process runs it: on PostgreSQL one instance at a time (an advisory
   * lock named after the schema, so two Postroom schemas in one database don't wait for each
   * other); null when another instance is purging.
   */
  async purgeExclusive(before: number, signal?: AbortSignal): Promise<number | null> {
    if (this.store.dialect !== 'postgres') return this.purge(before, undefined, signal);
    // The lock belongs to a session: taken and given back on one pinned connection while the
    // purge's own batches run on the others.
    return this.db.connection().execute(async (conn) => {
      const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext(current_schema()), 2) as ok`.execute(conn);
      if (!got.rows[0]?.ok) return null;
      try {
        return await this.purge(before, undefined, signal);
      } finally {
        await sql`select pg_advisory_unlock(hashtext(current_schema()), 2)`.execute(conn);
      }
    });
  }

  /**
   * Deletes finished e-mails older than `before` in small batches so that sending, which shares
   * the database, never waits long. Attachment bytes go once no e-mail refers to them.
   */
  async purge(before: number, batchSize = this.store.dialect === 'sqlite' ? 500 : 2000, signal?: AbortSignal): Promise<number> {
    let total = 0;
    // A stop ends the purge between batches; the next start's purge goes on from there.
    while (!signal?.aborted) {
      const batchStarted = performance.now();
      const deleted = await writeTransaction(this.store, async (trx) => {
        const ids = (
          await trx
            .selectFrom('emails')
            .select('id')
            .where('finished_at', '<', before)
            .where('status', 'in', [...FINISHED])
            .limit(batchSize)
            .execute()
        ).map((r) => r.id);
        if (ids.length === 0) return 0;
        await trx.deleteFrom('attempts').where('email_id', 'in', ids).execute();
        await trx.deleteFrom('delivery_reports').where('email_id', 'in', ids).execute();
        await trx.deleteFrom('email_attachments').where('email_id', 'in', ids).execute();
        await trx.deleteFrom('emails').where('id', 'in', ids).execute();
        return ids.length;
      });
      total += deleted;
      if (deleted < batchSize) break;
      // better-sqlite3 runs each batch synchronously and awaits only reach the microtask queue:
      // without a pause between batches, no send, hand-over or HTTP answer could happen until a
      // purge of a million e-mails ended. Resting as long as the batch took leaves sending at
      // least half of the process; on PostgreSQL the wait is for the server and costs nothing.
      if (this.store.dialect === 'sqlite') await new Promise((resolve) => setTimeout(resolve, Math.max(1, performance.now() - batchStarted)));
    }
    if (total > 0 && !signal?.aborted) {
      // An e-mail handed over right now may be taking a reference to one of these blobs: the
      // foreign key then refuses the delete, and the next purge tries again.
      await this.db
        .deleteFrom('blobs')
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('email_attachments').select('email_id').whereRef('email_attachments.blob_sha256', '=', 'blobs.sha256'))),
        )
        .execute()
        .catch(() => undefined);
    }
    return total;
  }
}
