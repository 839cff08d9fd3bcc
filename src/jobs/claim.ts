// Claiming due jobs when several processes share one database: each claim takes rows the others
// are not taking, so instances never send the same job at once nor wait on one another.

/** A select that can lock what it reads (Kysely's SelectQueryBuilder). */
export interface Lockable<Q> {
  forUpdate(): Q;
  skipLocked(): Q;
}

/**
 * The claim's select, made to skip rows another transaction has locked (PostgreSQL: FOR UPDATE
 * SKIP LOCKED), so two instances claiming at once take different jobs instead of queueing behind
 * each other. SQLite has one writer: its write transaction already serialises claims.
 */
export function skipLocked<Q extends Lockable<Q>>(q: Q, dialect: 'sqlite' | 'postgres'): Q {
  return dialect === 'postgres' ? q.forUpdate().skipLocked() : q;
}
