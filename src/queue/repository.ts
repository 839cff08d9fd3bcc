// All SQL about e-mails, their attempts and attachments. Every status change goes through here,
// and every change made by the sending process checks that it still holds the e-mail's lease.
import { sql, type Kysely, type QueryCreator, type Selectable } from 'kysely';
import { GroupCommit, writeTransaction, type Database, type EmailStatus, type EmailTable, type Store } from '../db/index.js';
import { emailEventsFrom, eventForStatus, recordEmailEvents, EVENT_SOURCE_COLUMNS } from '../webhooks/index.js';

export type EmailRow = Selectable<EmailTable>;
export type AttemptRow = Selectable<Database['attempts']>;

export interface NewEmail {
  row: Omit<EmailTable, 'id' | 'claim_count' | 'attempt_count'>;
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

/** Statuses an e-mail no longer leaves by itself; the purge deletes only these. */
export const FINISHED: EmailStatus[] = ['sent', 'failed', 'cancelled'];

type OutcomeChange = Partial<Pick<EmailRow, 'status' | 'due_at' | 'first_failure_at' | 'finished_at' | 'rejected_recipients'>>;

interface Outcome {
  id: number;
  owner: string;
  attempt: AttemptRecord;
  change: OutcomeChange;
}

export class EmailRepository {
  /** SQLite: outcomes and hand-overs that arrive together share a commit (see GroupCommit). */
  private readonly outcomes: GroupCommit<Outcome, boolean>;
  private readonly handOvers: GroupCommit<NewEmail['row'], number>;

  constructor(private readonly store: Store) {
    this.outcomes = new GroupCommit(store, (trx, o) => this.recordOutcome(trx, o));
    this.handOvers = new GroupCommit(store, (trx, row) => this.insertRow(trx, row));
  }

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  async insert(email: NewEmail): Promise<number> {
    if (email.attachments.length === 0) {
      // One statement is atomic by itself: on PostgreSQL no transaction round trips for the
      // common case; on SQLite, hand-overs arriving together share a commit.
      return this.store.dialect === 'sqlite' ? this.handOvers.submit(email.row) : this.insertRow(this.db, email.row);
    }
    return writeTransaction(this.store, async (trx) => {
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
    });
  }

  private async insertRow(db: Kysely<Database>, row: NewEmail['row']): Promise<number> {
    const { id } = await db.insertInto('emails').values({ ...row, claim_count: 0, attempt_count: 0 }).returning('id').executeTakeFirstOrThrow();
    return id;
  }

  async findByIdempotencyKey(key: string): Promise<EmailRow | undefined> {
    return this.db.selectFrom('emails').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
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
      .where('status', 'in', ['sent', 'failed'])
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
   * Claims up to `limit` due e-mails in one statement: pending or error whose time has come,
   * and sending whose lease expired (their process died). Runs inside the caller's transaction.
   */
  async claim(trx: Kysely<Database>, owner: string, now: number, leaseMs: number, limit: number): Promise<EmailRow[]> {
    if (limit <= 0) return [];
    const due = trx
      .selectFrom('emails')
      .select('id')
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(limit);
    const lockedDue = this.store.dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
    return trx
      .updateTable('emails')
      .set({
        status: 'sending',
        lease_owner: owner,
        due_at: now + leaseMs,
        claim_count: sql`claim_count + 1`,
        updated_at: now,
      })
      .where('id', 'in', lockedDue)
      .returningAll()
      .execute();
  }

  /** Attempts started in the last minute plus sends in flight: what pacing has already spent. */
  async sendsInLastMinute(trx: Kysely<Database>, now: number): Promise<number> {
    const { n } = await trx
      .selectFrom('attempts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('started_at', '>', now - 60_000)
      .where('outcome', '!=', 'interrupted')
      .executeTakeFirstOrThrow();
    const { m } = await trx
      .selectFrom('emails')
      .select((eb) => eb.fn.countAll<number>().as('m'))
      .where('status', '=', 'sending')
      .where('due_at', '>', now)
      .executeTakeFirstOrThrow();
    return Number(n) + Number(m);
  }

  async recordInterrupted(email: EmailRow, at: number, instance: string): Promise<void> {
    await this.db
      .insertInto('attempts')
      .values({
        email_id: email.id,
        started_at: at,
        finished_at: at,
        route: '-',
        outcome: 'interrupted',
        reply_code: null,
        reply: 'claimed by a sending process that stopped (or lost the database) before it recorded an outcome: it may or may not have been sent; sending again',
        instance,
      })
      .execute();
  }

  /**
   * Records an attempt and moves the e-mail on, only while `owner` still holds its lease.
   * Returns false when the lease was lost (another instance took the e-mail over).
   */
  async finishAttempt(
    id: number,
    owner: string,
    attempt: AttemptRecord,
    change: OutcomeChange,
  ): Promise<boolean> {
    if (this.store.dialect === 'postgres') return this.finishAttemptPostgres(id, owner, attempt, change);
    return this.outcomes.submit({ id, owner, attempt, change });
  }

  /** The e-mail's side of an outcome, guarded by the lease: matches nothing once the lease is lost. */
  private moveOn(db: QueryCreator<Database>, { id, owner, attempt, change }: Outcome) {
    return db
      .updateTable('emails')
      .set({
        ...change,
        lease_owner: null,
        attempt_count: sql`attempt_count + 1`,
        last_reply_code: attempt.replyCode,
        last_reply: attempt.reply,
        updated_at: attempt.finishedAt,
      })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .where('lease_owner', '=', owner);
  }

  private async recordOutcome(trx: Kysely<Database>, o: Outcome): Promise<boolean> {
    const { id, owner, attempt } = o;
    const updated = await this.moveOn(trx, o).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    // Webhooks: the event is stored with the change, so a crash loses neither.
    const event = eventForStatus(o.change.status);
    if (event) await recordEmailEvents(trx, [{ emailId: id, type: event }]);
    await trx
      .insertInto('attempts')
      .values({
        email_id: id,
        started_at: attempt.startedAt,
        finished_at: attempt.finishedAt,
        route: attempt.route,
        outcome: attempt.outcome,
        reply_code: attempt.replyCode,
        reply: attempt.reply,
        instance: owner,
      })
      .execute();
    return true;
  }

  /**
   * The same in one round trip. Recording an outcome skips waiting for the WAL flush
   * (synchronous_commit off, for this statement only): should the database server crash
   * within that moment, the e-mail is still 'sending' under a lease that expires, and it is
   * sent again: a possible duplicate, never a loss. Hand-overs keep the full wait.
   */
  private async finishAttemptPostgres(
    id: number,
    owner: string,
    attempt: AttemptRecord,
    change: OutcomeChange,
  ): Promise<boolean> {
    // Webhooks: the event is written by the same statement (see emailEventsFrom).
    const event = eventForStatus(change.status);
    const recorded = await this.db
      .with('moved', (db) => this.moveOn(db, { id, owner, attempt, change }).returning([...EVENT_SOURCE_COLUMNS]))
      .with('event', () => (event ? emailEventsFrom('moved', event) : sql<Record<string, unknown>>`(select 1)`))
      .with('durability', (db) => db.selectNoFrom(sql<string>`set_config('synchronous_commit', 'off', true)`.as('setting')))
      .insertInto('attempts')
      .columns(['email_id', 'started_at', 'finished_at', 'route', 'outcome', 'reply_code', 'reply', 'instance'])
      .expression((eb) =>
        eb
          .selectFrom(['moved', 'durability'])
          .select([
            'moved.id',
            sql<number>`${attempt.startedAt}::bigint`.as('started_at'),
            sql<number>`${attempt.finishedAt}::bigint`.as('finished_at'),
            sql<string>`${attempt.route}::text`.as('route'),
            sql<string>`${attempt.outcome}::text`.as('outcome'),
            sql<number | null>`${attempt.replyCode}::integer`.as('reply_code'),
            sql<string | null>`${attempt.reply}::text`.as('reply'),
            sql<string>`${owner}::text`.as('instance'),
          ]),
      )
      .returning('email_id')
      .execute();
    return recorded.length > 0;
  }

  /** Gives claimed e-mails back untouched (shutdown, or the campaign stopped on a route failure). */
  async release(ids: number[], owner: string, now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('emails')
      .set({
        status: sql`case when first_failure_at is null then 'pending' else 'error' end`,
        due_at: now,
        lease_owner: null,
        claim_count: sql`claim_count - 1`,
        updated_at: now,
      })
      .where('id', 'in', ids)
      .where('status', '=', 'sending')
      .where('lease_owner', '=', owner)
      .execute();
  }

  async renewLeases(ids: number[], owner: string, until: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('emails')
      .set({ due_at: until })
      .where('id', 'in', ids)
      .where('status', '=', 'sending')
      .where('lease_owner', '=', owner)
      .execute();
  }

  async holdPending(createdBefore: number, now: number): Promise<number> {
    // Webhooks: held e-mails get their events in the same transaction.
    return writeTransaction(this.store, async (trx) => {
      const held = await trx
        .updateTable('emails')
        .set({ status: 'held', due_at: null, updated_at: now })
        .where('status', '=', 'pending')
        .where('created_at', '<', createdBefore)
        // Scheduled for later (sendAt): not pending at start-up yet, it keeps its time.
        .where((eb) => eb.or([eb('send_at', 'is', null), eb('send_at', '<=', now)]))
        .returning('id')
        .execute();
      await recordEmailEvents(trx, held.map((r) => ({ emailId: r.id, type: 'email.held' })));
      return held.length;
    });
  }

  /** E-mails in error whose retry window has closed (the window may have been shortened since). */
  async expireRetryWindow(windowMs: number, now: number): Promise<number> {
    // Webhooks: failed e-mails get their events in the same transaction.
    return writeTransaction(this.store, async (trx) => {
      const expired = await trx
        .updateTable('emails')
        .set({ status: 'failed', due_at: null, finished_at: now, updated_at: now, last_reply: sql`'retry window expired: ' || coalesce(last_reply, '')` })
        .where('status', '=', 'error')
        .where('first_failure_at', '<=', now - windowMs)
        .returning('id')
        .execute();
      await recordEmailEvents(trx, expired.map((r) => ({ emailId: r.id, type: 'email.failed' })));
      return expired.length;
    });
  }

  /** Administrator actions: a conditional update, so a concurrent change can't be overwritten. */
  async transition(
    id: number,
    from: EmailStatus[],
    change: Partial<Pick<EmailRow, 'status' | 'due_at' | 'first_failure_at' | 'finished_at'>>,
    now: number,
  ): Promise<boolean> {
    const update = (db: Kysely<Database>) =>
      db.updateTable('emails').set({ ...change, updated_at: now }).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
    // Webhooks: a change that makes an event (cancel) writes it in the same transaction.
    const event = eventForStatus(change.status);
    if (!event) return Number((await update(this.db)).numUpdatedRows) === 1;
    return writeTransaction(this.store, async (trx) => {
      if (Number((await update(trx)).numUpdatedRows) !== 1) return false;
      await recordEmailEvents(trx, [{ emailId: id, type: event }]);
      return true;
    });
  }

  async releaseHeld(now: number): Promise<number> {
    const r = await this.db
      .updateTable('emails')
      .set({ status: 'pending', due_at: now, updated_at: now })
      .where('status', '=', 'held')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * Deletes finished e-mails older than `before` in small batches so that sending, which shares
   * the database, never waits long. Attachment bytes go once no e-mail refers to them.
   */
  async purge(before: number, batchSize = this.store.dialect === 'sqlite' ? 500 : 2000): Promise<number> {
    let total = 0;
    for (;;) {
      const batchStarted = performance.now();
      const deleted = await writeTransaction(this.store, async (trx) => {
        const ids = (
          await trx
            .selectFrom('emails')
            .select('id')
            .where('finished_at', '<', before)
            .where('status', 'in', FINISHED)
            .limit(batchSize)
            .execute()
        ).map((r) => r.id);
        if (ids.length === 0) return 0;
        await trx.deleteFrom('attempts').where('email_id', 'in', ids).execute();
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
    if (total > 0) {
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
