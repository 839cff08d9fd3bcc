// The one row that says where the reading of the postmaster's mailbox stands: its cursor, which
// instance holds it (one at a time across instances, under a lease), and how the last check went.
import type { Kysely } from 'kysely';
import type { Database, Store } from '../db/index.js';

const ROW = 'bounces';

export interface CheckCounts {
  /** Messages listed since the last check. */
  seen: number;
  /** Of those, the ones that looked like reports and were read. */
  read: number;
  matched: number;
  unmatched: number;
  /** Read before (the same report twice): nothing changed. */
  duplicates: number;
  /** Not reports after all (auto-replies, ordinary mail): left where they are. */
  notReports: number;
  /** Reports that could not be read (malformed, too large, too many recipients): left where they are. */
  unreadable: number;
  hard: number;
  soft: number;
  policy: number;
  delayed: number;
}

export const emptyCounts = (): CheckCounts => ({
  seen: 0, read: 0, matched: 0, unmatched: 0, duplicates: 0, notReports: 0, unreadable: 0, hard: 0, soft: 0, policy: 0, delayed: 0,
});

export type CheckRow = Database['mailbox_checks'];

export class CheckState {
  constructor(private readonly store: Store) {}

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  async read(): Promise<CheckRow | null> {
    return (await this.db.selectFrom('mailbox_checks').selectAll().where('id', '=', ROW).executeTakeFirst()) ?? null;
  }

  /**
   * Takes the mailbox for `holder` until `until`, unless another instance holds it. A mailbox other
   * than the one the cursor belongs to starts over. Returns the row as taken, or null.
   */
  async take(holder: string, identity: string, now: number, until: number): Promise<CheckRow | null> {
    await this.db
      .insertInto('mailbox_checks')
      .values({ id: ROW, identity, matched_total: 0, unmatched_total: 0 })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const taken = await this.db
      .updateTable('mailbox_checks')
      .set({ holder, lease_until: until, started_at: now })
      .where('id', '=', ROW)
      .where((eb) => eb.or([eb('holder', 'is', null), eb('holder', '=', holder), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return null;
    const row = await this.read();
    if (row && row.identity !== identity) {
      await this.db.updateTable('mailbox_checks').set({ identity, cursor: null }).where('id', '=', ROW).execute();
      return { ...row, identity, cursor: null };
    }
    return row;
  }

  /** A page is dealt with: the cursor moves past it and the lease is extended. */
  async advance(holder: string, cursor: string, until: number): Promise<void> {
    await this.db.updateTable('mailbox_checks').set({ cursor, lease_until: until }).where('id', '=', ROW).where('holder', '=', holder).execute();
  }

  async finish(holder: string, now: number, counts: CheckCounts, error: string | null): Promise<void> {
    await this.db
      .updateTable('mailbox_checks')
      .set((eb) => ({
        holder: null,
        lease_until: null,
        finished_at: now,
        ...(error === null ? { succeeded_at: now, error: null, error_at: null } : { error: error.slice(0, 2000), error_at: now }),
        last_counts: JSON.stringify(counts),
        matched_total: eb('matched_total', '+', counts.matched),
        unmatched_total: eb('unmatched_total', '+', counts.unmatched),
      }))
      .where('id', '=', ROW)
      .where('holder', '=', holder)
      .execute();
  }

  /** A check that could not start (settings incomplete, mailbox unreachable) still says why. */
  async failed(identity: string, now: number, error: string): Promise<void> {
    await this.db
      .insertInto('mailbox_checks')
      .values({ id: ROW, identity, matched_total: 0, unmatched_total: 0, finished_at: now, error: error.slice(0, 2000), error_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ finished_at: now, error: error.slice(0, 2000), error_at: now }))
      .execute();
  }
}
