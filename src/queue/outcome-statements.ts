// The SQL of recording a send's outcome — the e-mail's lease-guarded move, its webhook event and
// its attempt — written once per shape and reused: Kysely building it per e-mail cost more than running it.
import { CompiledQuery } from 'kysely';
import type { PreparedStatement } from '../db/index.js';
import { EMAIL_EVENT_SQLITE, EVENT_SOURCE_COLUMNS, emailEventsFromPostgres, eventForStatus, type StatusEventType } from '../webhooks/index.js';
import type { OutcomeWrite } from './lifecycle.js';
import { guardSql, type Verb } from './states.js';

type Prepare = (sql: string) => PreparedStatement;
type SqlValue = string | number | null;

/**
 * The columns an outcome sets, in a fixed order, and their values. The statement's shape depends
 * only on which columns (a handful of combinations: sent, deferred, failed, with or without
 * recipients), so each shape is written once; the column names are ours, never input.
 */
function columnsOf(set: OutcomeWrite['set']): { columns: string[]; values: SqlValue[] } {
  const columns = Object.keys(set)
    .filter((c) => set[c as keyof typeof set] !== undefined)
    .sort();
  return { columns, values: columns.map((c) => set[c as keyof typeof set] as SqlValue) };
}

/**
 * The verbs whose outcome these statements record. One statement serves the three, so its guard is
 * theirs only while they leave the same statuses: a table that parted them must part the statement.
 */
const OUTCOME_VERBS: readonly Verb[] = ['markSent', 'defer', 'fail'];

function outcomeGuard(column: string): string {
  const guards = [...new Set(OUTCOME_VERBS.map((v) => guardSql(v, column)))];
  if (guards.length !== 1 || guards[0] === undefined) throw new Error(`${OUTCOME_VERBS.join(', ')} leave different statuses: one outcome statement cannot guard them all`);
  return guards[0];
}

// --- SQLite: prepared statements in the transaction of a group commit -------------------------

const ATTEMPT_INSERT_SQLITE = `insert into attempts (email_id, started_at, finished_at, route, outcome, reply_code, reply, instance)
  values (?, ?, ?, ?, ?, ?, ?, ?)`;

const moveSqlite = (columns: string[]) => `update emails set ${columns.map((c) => `${c} = ?`).join(', ')},
    lease_owner = null, attempt_count = attempt_count + 1, last_reply_code = ?, last_reply = ?, updated_at = ?
  where id = ? and ${outcomeGuard('status')} and lease_owner = ?`;

/** Writes one outcome; false when the lease was lost (the e-mail is not this process's any more). */
export function recordOutcomeSqlite(prepare: Prepare, { lease, attempt, set }: OutcomeWrite): boolean {
  const { columns, values } = columnsOf(set);
  const moved = prepare(moveSqlite(columns)).run(...values, attempt.replyCode, attempt.reply, attempt.finishedAt, lease.id, lease.owner);
  if (moved.changes === 0) return false;
  // Webhooks: the event is stored with the change, so a crash loses neither.
  const event = eventForStatus(set.status);
  if (event) prepare(EMAIL_EVENT_SQLITE).run(event, lease.id);
  prepare(ATTEMPT_INSERT_SQLITE).run(lease.id, attempt.startedAt, attempt.finishedAt, attempt.route, attempt.outcome, attempt.replyCode, attempt.reply, lease.owner);
  return true;
}

// --- PostgreSQL: the outcomes of a group in one statement, one round trip ----------------------

/** The columns an outcome may set; one it does not set keeps its value. */
const OUTCOME_COLUMNS = {
  status: 'text',
  due_at: 'bigint',
  finished_at: 'bigint',
  first_failure_at: 'bigint',
  recipients: 'text',
  rejected_recipients: 'text',
  sent_message_id: 'text',
} as const;

/** One outcome as the statement reads it (a JSON array of these is its only parameter). */
interface OutcomeRow {
  id: number;
  owner: string;
  /** The columns it sets, by name: a key present with null sets NULL. */
  s: Record<string, SqlValue>;
  reply_code: number | null;
  reply: string | null;
  started_at: number;
  finished_at: number;
  route: string;
  outcome: string;
  event: StatusEventType | null;
}

const q = (column: string) => `(v.s ->> '${column}')::${OUTCOME_COLUMNS[column as keyof typeof OUTCOME_COLUMNS]}`;

/**
 * Moves, events and attempts for a group of outcomes. Each move is guarded by its lease (a row
 * whose lease was lost matches nothing, and gets neither event nor attempt). It skips waiting for
 * the WAL flush (synchronous_commit off, for this transaction only): should the database server
 * crash within that moment, the e-mails are still 'sending' under leases that expire, and they are
 * sent again: a possible duplicate, never a loss.
 */
const OUTCOMES_POSTGRES = `with v as (
    select * from jsonb_to_recordset($1::jsonb) as v(id bigint, owner text, s jsonb, reply_code integer, reply text,
      started_at bigint, finished_at bigint, route text, outcome text, event text)),
  moved as (
    update emails e set ${Object.keys(OUTCOME_COLUMNS)
      .map((c) => `${c} = case when v.s ? '${c}' then ${q(c)} else e.${c} end`)
      .join(', ')},
      lease_owner = null, attempt_count = e.attempt_count + 1, last_reply_code = v.reply_code, last_reply = v.reply, updated_at = v.finished_at
    from v
    where e.id = v.id and ${outcomeGuard('e.status')} and e.lease_owner = v.owner
    returning ${EVENT_SOURCE_COLUMNS.map((c) => `e.${c}`).join(', ')}, v.event),
  event as (${emailEventsFromPostgres('moved')}),
  durability as (select set_config('synchronous_commit', 'off', true) as setting)
  insert into attempts (email_id, started_at, finished_at, route, outcome, reply_code, reply, instance)
    select v.id, v.started_at, v.finished_at, v.route, v.outcome, v.reply_code, v.reply, v.owner
    from moved join v on v.id = moved.id, durability
  returning email_id`;

/** The group's outcomes as one statement; it returns the ids whose lease was still held. */
export function outcomesQueryPostgres(outcomes: OutcomeWrite[]): CompiledQuery<{ email_id: number }> {
  const rows: OutcomeRow[] = outcomes.map(({ lease, attempt, set }) => {
    const { columns, values } = columnsOf(set);
    const unknown = columns.find((c) => !(c in OUTCOME_COLUMNS));
    if (unknown) throw new Error(`an outcome sets ${unknown}, which the PostgreSQL outcome statement does not write`);
    return {
      id: lease.id,
      owner: lease.owner,
      s: Object.fromEntries(columns.map((c, i) => [c, values[i] ?? null])),
      reply_code: attempt.replyCode,
      reply: attempt.reply,
      started_at: attempt.startedAt,
      finished_at: attempt.finishedAt,
      route: attempt.route,
      outcome: attempt.outcome,
      event: eventForStatus(set.status),
    };
  });
  return CompiledQuery.raw(OUTCOMES_POSTGRES, [JSON.stringify(rows)]) as CompiledQuery<{ email_id: number }>;
}
