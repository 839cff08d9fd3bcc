// The SQL of recording a send's outcome — the e-mail's lease-guarded move, its webhook event and
// its attempt — written once per shape and reused: Kysely building it per e-mail cost more than running it.
import { CompiledQuery } from 'kysely';
import type { PreparedStatement } from '../db/index.js';
import { EMAIL_EVENT_SQLITE, EVENT_SOURCE_COLUMNS, emailEventsFromPostgres, eventForStatus, type StatusEventType } from '../webhooks/index.js';
import type { OutcomeWrite } from './lifecycle.js';

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

// --- SQLite: prepared statements in the transaction of a group commit -------------------------

const ATTEMPT_INSERT_SQLITE = `insert into attempts (email_id, started_at, finished_at, route, outcome, reply_code, reply, instance)
  values (?, ?, ?, ?, ?, ?, ?, ?)`;

const moveSqlite = (columns: string[]) => `update emails set ${columns.map((c) => `${c} = ?`).join(', ')},
    lease_owner = null, attempt_count = attempt_count + 1, last_reply_code = ?, last_reply = ?, updated_at = ?
  where id = ? and status = 'sending' and lease_owner = ?`;

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

// --- PostgreSQL: one statement, one round trip ------------------------------------------------

const postgresTexts = new Map<string, string>();

/**
 * The move, the event and the attempt as one statement. It skips waiting for the WAL flush
 * (synchronous_commit off, for this transaction only): should the database server crash within
 * that moment, the e-mail is still 'sending' under a lease that expires, and it is sent again: a
 * possible duplicate, never a loss.
 */
function postgresText(columns: string[], event: StatusEventType | null): string {
  const key = `${columns.join(',')}|${event ?? ''}`;
  let text = postgresTexts.get(key);
  if (text) return text;
  const p = (i: number) => `$${i}`;
  const n = columns.length;
  // $1..$n the columns, then reply code, reply, updated_at, id, owner, the attempt's fields, the event.
  const [code, reply, at, id, owner, started, finished, route, outcome, event$] = Array.from({ length: 10 }, (_, k) => p(n + 1 + k));
  text = `with moved as (
      update emails set ${columns.map((c, i) => `${c} = ${p(i + 1)}`).join(', ')},
        lease_owner = null, attempt_count = attempt_count + 1, last_reply_code = ${code}::integer, last_reply = ${reply}::text, updated_at = ${at}::bigint
      where id = ${id}::bigint and status = 'sending' and lease_owner = ${owner}::text
      returning ${EVENT_SOURCE_COLUMNS.join(', ')}),
    event as (${event ? emailEventsFromPostgres('moved', `${event$}`) : 'select 1'}),
    durability as (select set_config('synchronous_commit', 'off', true) as setting)
    insert into attempts (email_id, started_at, finished_at, route, outcome, reply_code, reply, instance)
      select moved.id, ${started}::bigint, ${finished}::bigint, ${route}::text, ${outcome}::text, ${code}::integer, ${reply}::text, ${owner}::text
      from moved, durability
    returning email_id`;
  postgresTexts.set(key, text);
  return text;
}

/** The outcome as a statement ready to run; it returns a row when the lease was still held. */
export function outcomeQueryPostgres({ lease, attempt, set }: OutcomeWrite): CompiledQuery<{ email_id: number }> {
  const { columns, values } = columnsOf(set);
  const event = eventForStatus(set.status);
  const params: SqlValue[] = [
    ...values,
    attempt.replyCode,
    attempt.reply,
    attempt.finishedAt,
    lease.id,
    lease.owner,
    attempt.startedAt,
    attempt.finishedAt,
    attempt.route,
    attempt.outcome,
  ];
  if (event) params.push(event);
  return CompiledQuery.raw(postgresText(columns, event), params) as CompiledQuery<{ email_id: number }>;
}
