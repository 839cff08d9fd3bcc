// The SQL of every move of an e-mail from one status to another, each guarded by the
// transition table (states.ts). Moves made by the sending process also check its lease.
import { sql, type Kysely, type Updateable } from 'kysely';
import { GroupCommit, writeTransaction, type Database, type EmailTable, type Store } from '../db/index.js';
import { LEASED, TRANSITIONS } from './states.js';
import { parseRecipients, parseReports, type RecipientOutcome } from './recipients.js';
import type { AttemptRecord, EmailRow } from './repository.js';
import { recordEmailEvents } from '../webhooks/index.js';
import { outcomesQueryPostgres, recordOutcomeSqlite } from './outcome-statements.js';
import { skipLocked } from '../jobs/index.js';

/** An e-mail as held by one sending process. */
export interface Lease {
  id: number;
  owner: string;
}

/** What an outcome verb (markSent, defer, fail) writes besides the status. */
export interface OutcomeWrite {
  lease: Lease;
  attempt: AttemptRecord;
  set: Updateable<EmailTable>;
}

export interface Outcome {
  attempt: AttemptRecord;
  /** Per-recipient states after this attempt; null when the route reports none. */
  recipients?: RecipientOutcome[] | null;
  /** The Message-ID the service used, when it is not the e-mail's own. */
  sentMessageId?: string;
}

const recipientColumns = (recipients: RecipientOutcome[] | null | undefined): Updateable<EmailTable> =>
  recipients
    ? {
        recipients: JSON.stringify(recipients),
        rejected_recipients: recipients.some((r) => r.state === 'refused')
          ? JSON.stringify(recipients.filter((r) => r.state === 'refused').map(({ recipient, code, reply }) => ({ recipient, code, reply })))
          : null,
      }
    : {};

/**
 * How long an outcome waits for others to share its write. The sending slot is already free (see
 * the pipeline), so the wait holds up no e-mail; larger groups make fewer commits and statements.
 */
const OUTCOME_GATHER_MS = 5;

export class EmailLifecycle {
  /**
   * Outcomes that arrive together are written together (see GroupCommit): on SQLite in one commit
   * of prepared statements, on PostgreSQL as one statement (one round trip for the group).
   */
  private readonly outcomes: GroupCommit<OutcomeWrite, boolean>;

  constructor(private readonly store: Store) {
    this.outcomes = store.sqlite
      ? GroupCommit.withStatements(store, recordOutcomeSqlite, { gatherMs: OUTCOME_GATHER_MS })
      : new GroupCommit(async (group) => {
          const recorded = await this.db.executeQuery(outcomesQueryPostgres(group));
          const held = new Set(recorded.rows.map((r) => Number(r.email_id)));
          return group.map((o) => held.has(o.lease.id));
        }, { gatherMs: OUTCOME_GATHER_MS, health: store.health });
  }

  /** The sending process waits for the outcomes being gathered: write them now. */
  flushOutcomes(): void {
    this.outcomes.flush();
  }

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  /**
   * Claims up to `limit` due e-mails in one transaction: pending or error whose time has come,
   * and sending whose lease expired (their process died). With pacing, what the last minute
   * already spent across every instance comes off the limit, serialised by an advisory lock.
   */
  async claim(owner: string, now: number, leaseMs: number, limit: number, maxPerMinute = 0): Promise<EmailRow[]> {
    if (limit <= 0) return [];
    return writeTransaction(this.store, async (trx) => {
      let allowed = limit;
      if (maxPerMinute > 0) {
        if (this.store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(current_schema()), 1)`.execute(trx);
        allowed = Math.min(limit, maxPerMinute - (await this.sendsInLastMinute(trx, now)));
      }
      return this.claimWithin(trx, owner, now, leaseMs, allowed);
    });
  }

  /** The claim statement alone, inside the caller's transaction. */
  async claimWithin(trx: Kysely<Database>, owner: string, now: number, leaseMs: number, limit: number): Promise<EmailRow[]> {
    if (limit <= 0) return [];
    const due = this.dueForClaim(trx, now, limit);
    return trx
      .updateTable('emails')
      .set({ status: TRANSITIONS.claim.to, lease_owner: owner, due_at: now + leaseMs, claim_count: sql`claim_count + 1`, updated_at: now })
      .where('id', 'in', skipLocked(due, this.store.dialect))
      .returningAll()
      .execute();
  }

  /** The ids a claim takes: due, claimable, oldest due first (a test reads its query plan). */
  dueForClaim(trx: Kysely<Database>, now: number, limit: number) {
    // SQLite would search the (status, id) index for the statuses and sort every due e-mail by
    // due_at (75 ms a claim at 100,000 pending, growing with the backlog); a unary + keeps it to
    // the due_at index, read in order and stopped at the limit (sqlite.org/optoverview.html §19).
    const status = this.store.dialect === 'sqlite' ? sql<string>`+${sql.ref('status')}` : sql.ref<string>('status');
    return trx
      .selectFrom('emails')
      .select('id')
      .where('due_at', '<=', now)
      .where(status, 'in', TRANSITIONS.claim.from)
      .orderBy('due_at')
      .limit(limit);
  }

  /** Attempts started in the last minute plus sends in flight: what pacing has already spent. */
  private async sendsInLastMinute(trx: Kysely<Database>, now: number): Promise<number> {
    const { n } = await trx
      .selectFrom('attempts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('started_at', '>', now - 60_000)
      .where('outcome', '!=', 'interrupted')
      .executeTakeFirstOrThrow();
    const { m } = await trx
      .selectFrom('emails')
      .select((eb) => eb.fn.countAll<number>().as('m'))
      // In flight: held under a lease that has not lapsed.
      .where('status', '=', LEASED)
      .where('due_at', '>', now)
      .executeTakeFirstOrThrow();
    return Number(n) + Number(m);
  }

  /** A claimed e-mail shows no outcome for its previous claim: that process died mid-send. */
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

  /** Every recipient has its answer. False when the lease was lost (another instance took it). */
  markSent(lease: Lease, outcome: Outcome): Promise<boolean> {
    const at = outcome.attempt.finishedAt;
    return this.outcomes.submit({
      lease,
      attempt: outcome.attempt,
      set: {
        status: TRANSITIONS.markSent.to,
        due_at: null,
        finished_at: at,
        ...recipientColumns(outcome.recipients),
        ...(outcome.sentMessageId ? { sent_message_id: outcome.sentMessageId } : {}),
      },
    });
  }

  /** Tried again at `retryAt`; the retry window counts from `firstFailureAt`. */
  defer(lease: Lease, outcome: Outcome, retry: { retryAt: number; firstFailureAt: number }): Promise<boolean> {
    return this.outcomes.submit({
      lease,
      attempt: outcome.attempt,
      set: { status: TRANSITIONS.defer.to, due_at: retry.retryAt, first_failure_at: retry.firstFailureAt, ...recipientColumns(outcome.recipients) },
    });
  }

  fail(lease: Lease, outcome: Outcome, firstFailureAt?: number): Promise<boolean> {
    const at = outcome.attempt.finishedAt;
    return this.outcomes.submit({
      lease,
      attempt: outcome.attempt,
      set: {
        status: TRANSITIONS.fail.to,
        due_at: null,
        finished_at: at,
        ...(firstFailureAt === undefined ? {} : { first_failure_at: firstFailureAt }),
        ...recipientColumns(outcome.recipients),
      },
    });
  }

  /** Gives claimed e-mails back untouched (shutdown, or a route failure): due again now. */
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
      .where('status', 'in', TRANSITIONS.release.from)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /**
   * A stop past its grace: every e-mail the process holds goes back, and those whose send was cut
   * off at the server get an attempt that says so (they may or may not have arrived), in one transaction.
   */
  async releaseCutOff(held: number[], cut: number[], owner: string, now: number, reply: string): Promise<void> {
    if (held.length === 0) return;
    await writeTransaction(this.store, async (trx) => {
      const mine = await trx.selectFrom('emails').select('id').where('id', 'in', cut.length ? cut : [-1]).where('status', 'in', TRANSITIONS.release.from).where('lease_owner', '=', owner).execute();
      if (mine.length) {
        await trx
          .insertInto('attempts')
          .values(mine.map((r) => ({ email_id: r.id, started_at: now, finished_at: now, route: '-', outcome: 'interrupted' as const, reply_code: null, reply, instance: owner })))
          .execute();
      }
      await trx
        .updateTable('emails')
        .set({
          status: sql`case when first_failure_at is null then 'pending' else 'error' end`,
          due_at: now,
          lease_owner: null,
          claim_count: sql`claim_count - 1`,
          updated_at: now,
        })
        .where('id', 'in', held)
        .where('status', 'in', TRANSITIONS.release.from)
        .where('lease_owner', '=', owner)
        .execute();
    });
  }

  /**
   * Extends the leases `owner` still holds. Guarded by the owner: once another instance has
   * claimed an e-mail whose lease lapsed, this process can neither renew nor record it.
   * Returns the ids whose lease was renewed.
   */
  async renew(ids: number[], owner: string, until: number): Promise<number[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('emails')
      .set({ due_at: until })
      .where('id', 'in', ids)
      .where('status', '=', LEASED)
      .where('lease_owner', '=', owner)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async hold(createdBefore: number, now: number): Promise<number> {
    // Webhooks: held e-mails get their events in the same transaction.
    return writeTransaction(this.store, async (trx) => {
      const held = await trx
        .updateTable('emails')
        .set({ status: TRANSITIONS.hold.to, due_at: null, updated_at: now })
        .where('status', 'in', TRANSITIONS.hold.from)
        .where('created_at', '<', createdBefore)
        // Scheduled for later (sendAt): not pending at start-up yet, it keeps its time.
        .where((eb) => eb.or([eb('send_at', 'is', null), eb('send_at', '<=', now)]))
        .returning('id')
        .execute();
      await recordEmailEvents(trx, held.map((r) => ({ emailId: r.id, type: 'email.held' })));
      return held.length;
    });
  }

  async releaseHeld(now: number): Promise<number> {
    const r = await this.db
      .updateTable('emails')
      .set({ status: TRANSITIONS.releaseHeld.to, due_at: now, updated_at: now })
      .where('status', 'in', TRANSITIONS.releaseHeld.from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** E-mails in error whose retry window has closed (the window may have been shortened since). */
  async expire(windowMs: number, now: number): Promise<number> {
    // Webhooks: failed e-mails get their events in the same transaction.
    return writeTransaction(this.store, async (trx) => {
      const expired = await trx
        .updateTable('emails')
        .set({
          status: TRANSITIONS.expire.to,
          due_at: null,
          finished_at: now,
          updated_at: now,
          last_reply: sql`'retry window expired: ' || coalesce(last_reply, '')`,
        })
        .where('status', 'in', TRANSITIONS.expire.from)
        .where('first_failure_at', '<=', now - windowMs)
        .returning('id')
        .execute();
      await recordEmailEvents(trx, expired.map((r) => ({ emailId: r.id, type: 'email.failed' })));
      return expired.length;
    });
  }

  /**
   * E-mails in error due later are made due now (their attempts stay as they are): the sends a
   * lost connection cut off, once the route works again. Returns how many.
   */
  async dueNow(ids: number[], now: number): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.db
      .updateTable('emails')
      .set({ due_at: now, updated_at: now })
      .where('id', 'in', ids)
      .where('status', '=', 'error')
      .where('due_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Administrator: a conditional update, so a concurrent change can't be overwritten. */
  async cancel(id: number, now: number): Promise<boolean> {
    // Webhooks: the email.cancelled event is written in the same transaction.
    return writeTransaction(this.store, async (trx) => {
      const r = await trx
        .updateTable('emails')
        .set({ status: TRANSITIONS.cancel.to, due_at: null, finished_at: now, updated_at: now })
        .where('id', '=', id)
        .where('status', 'in', TRANSITIONS.cancel.from)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      await recordEmailEvents(trx, [{ emailId: id, type: 'email.cancelled' }]);
      return true;
    });
  }

  /**
   * Administrator: due again now with a fresh retry window. Recipients already accepted or
   * refused for good keep their state, so a retry sends only to those still owed a copy.
   */
  async retry(ids: number[], now: number): Promise<number> {
    if (ids.length === 0) return 0;
    return writeTransaction(this.store, async (trx) => {
      const r = await trx
        .updateTable('emails')
        // A scheduled e-mail keeps its time (cancelled before it came, then sent again): due at the later of the two.
        .set({ status: TRANSITIONS.retry.to, due_at: sql<number>`case when send_at > ${now} then send_at else ${now} end`, first_failure_at: null, finished_at: null, updated_at: now })
        .where('id', 'in', ids)
        .where('status', 'in', TRANSITIONS.retry.from)
        .returning(['id', 'recipients', 'reports', 'to_addrs', 'cc_addrs', 'bcc_addrs'])
        .execute();
      // A refused recipient is tried again (the administrator may have fixed why); an accepted
      // one never gets a second copy — unless a delivery report said it bounced: then it is owed
      // one again, and its report goes to the e-mail's history (delivery_reports) only.
      for (const row of r) {
        const bounced = new Set(parseReports(row.reports).filter((x) => x.action === 'failed').map((x) => x.recipient.toLowerCase()));
        let states = parseRecipients(row.recipients);
        if (bounced.size > 0 && states.length === 0) {
          // Every recipient was accepted in one transaction, so none was stored one by one.
          const all = [...JSON.parse(row.to_addrs), ...JSON.parse(row.cc_addrs), ...JSON.parse(row.bcc_addrs)] as { email: string }[];
          states = all.map((a) => ({ recipient: a.email, state: 'accepted' as const, code: null, reply: '' }));
        }
        if (!states.some((s) => s.state !== 'accepted' || bounced.has(s.recipient.toLowerCase()))) continue;
        const kept = states.filter((s) => s.state === 'accepted' && !bounced.has(s.recipient.toLowerCase()));
        const reports = parseReports(row.reports).filter((x) => !bounced.has(x.recipient.toLowerCase()));
        await trx
          .updateTable('emails')
          .set({ recipients: kept.length ? JSON.stringify(kept) : null, reports: reports.length ? JSON.stringify(reports) : null })
          .where('id', '=', row.id)
          .execute();
      }
      return r.length;
    });
  }
}
