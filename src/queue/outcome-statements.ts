// The SQLite side of recording a send's outcome, as prepared statements: the e-mail's move (lease-
// guarded), its webhook event and its attempt, in the transaction of a group commit.
import type { PreparedStatement } from '../db/index.js';
import { EMAIL_EVENT_SQLITE, eventForStatus } from '../webhooks/index.js';
import type { OutcomeWrite } from './lifecycle.js';

type Prepare = (sql: string) => PreparedStatement;
type SqlValue = string | number | null;

const ATTEMPT_INSERT = `insert into attempts (email_id, started_at, finished_at, route, outcome, reply_code, reply, instance)
  values (?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * The update for the columns an outcome sets. Its shape depends only on which columns (a handful
 * of combinations: sent, deferred, failed, with or without recipients), so it is prepared once
 * per shape; the column names are ours, never input.
 */
function moveSql(columns: string[]): string {
  return `update emails set ${columns.map((c) => `${c} = ?`).join(', ')},
      lease_owner = null, attempt_count = attempt_count + 1, last_reply_code = ?, last_reply = ?, updated_at = ?
    where id = ? and status = 'sending' and lease_owner = ?`;
}

/** Writes one outcome; false when the lease was lost (the e-mail is not this process's any more). */
export function recordOutcomeSqlite(prepare: Prepare, { lease, attempt, set }: OutcomeWrite): boolean {
  const columns = Object.keys(set).filter((c) => set[c as keyof typeof set] !== undefined).sort();
  const values = columns.map((c) => set[c as keyof typeof set] as SqlValue);
  const moved = prepare(moveSql(columns)).run(...values, attempt.replyCode, attempt.reply, attempt.finishedAt, lease.id, lease.owner);
  if (moved.changes === 0) return false;
  // Webhooks: the event is stored with the change, so a crash loses neither.
  const event = eventForStatus(set.status);
  if (event) prepare(EMAIL_EVENT_SQLITE).run(event, lease.id);
  prepare(ATTEMPT_INSERT).run(lease.id, attempt.startedAt, attempt.finishedAt, attempt.route, attempt.outcome, attempt.replyCode, attempt.reply, lease.owner);
  return true;
}
