// E-mail events for webhooks, written by the queue inside the transaction of the status change
// that caused them, so that a crash loses none. The deliverer fans them out to the receivers.
import { sql, type Kysely } from 'kysely';
import type { Database, EmailStatus } from '../db/index.js';

export const EMAIL_EVENT_TYPES = [
  'email.sent',
  'email.failed',
  'email.deferred',
  'email.recipient_refused',
  'email.cancelled',
  'email.held',
  'email.bounced',
  'email.delayed',
] as const;
export type EmailEventType = (typeof EMAIL_EVENT_TYPES)[number];
/** The events a status change writes; email.recipient_refused comes with an email.sent. */
export type StatusEventType = Exclude<EmailEventType, 'email.recipient_refused' | ReportEventType>;
/** The events of a delivery report, one per recipient it speaks of. */
export type ReportEventType = 'email.bounced' | 'email.delayed';

const BY_STATUS: Partial<Record<EmailStatus, StatusEventType>> = {
  sent: 'email.sent',
  failed: 'email.failed',
  error: 'email.deferred',
  cancelled: 'email.cancelled',
  held: 'email.held',
};

/** The event an e-mail entering `status` makes, or null (pending and sending make none). */
export function eventForStatus(status: EmailStatus | undefined): StatusEventType | null {
  return status ? (BY_STATUS[status] ?? null) : null;
}

export type EmailEvent =
  | { emailId: number; type: StatusEventType }
  /** `detail`: the recipient's report, kept with the event. */
  | { emailId: number; type: ReportEventType; detail: unknown };

/**
 * The e-mail columns an event keeps. A single-statement update that wants its events written by
 * emailEventsFrom must RETURN these.
 */
export const EVENT_SOURCE_COLUMNS = [
  'id',
  'status',
  'source',
  'updated_at',
  'attempt_count',
  'due_at',
  'finished_at',
  'last_reply_code',
  'last_reply',
  'rejected_recipients',
  'recipients',
  'reports',
] as const;

const EVENT_COLUMNS = [
  'email_id',
  'type',
  'status',
  'source',
  'created_at',
  'attempt_count',
  'next_attempt_at',
  'finished_at',
  'last_reply_code',
  'last_reply',
  'rejected_recipients',
  'recipients',
  'reports',
  'detail',
] as const;

const CHUNK = 500;

/**
 * Writes the events of e-mails whose status `trx` just changed, from the rows as they are now.
 * Call it inside the same transaction, after the update. An e-mail no active webhook listens to
 * (none for its source, nor for every e-mail) makes no row: without webhooks this costs one
 * look at an empty table.
 */
export async function recordEmailEvents(trx: Kysely<Database>, events: EmailEvent[]): Promise<void> {
  // Events with a detail of their own (a recipient's report) are rare: one statement each.
  const groups = new Map<string, { type: EmailEventType; detail: string | null; ids: number[] }>();
  for (const e of events) {
    const detail = 'detail' in e ? JSON.stringify(e.detail) : null;
    const key = detail === null ? e.type : `${e.type}\u0000${e.emailId}\u0000${detail}`;
    const group = groups.get(key) ?? { type: e.type, detail, ids: [] };
    group.ids.push(e.emailId);
    groups.set(key, group);
  }
  for (const { type, detail, ids } of groups.values()) {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      await trx
        .insertInto('email_events')
        .columns([...EVENT_COLUMNS])
        .expression((eb) =>
          eb
            .selectFrom('emails as e')
            .select([
              'e.id',
              sql<string>`${type}`.as('type'),
              'e.status',
              'e.source',
              'e.updated_at',
              'e.attempt_count',
              sql<number | null>`case when e.status = 'error' then e.due_at else null end`.as('next_attempt_at'),
              'e.finished_at',
              'e.last_reply_code',
              'e.last_reply',
              'e.rejected_recipients',
              'e.recipients',
              'e.reports',
              sql<string | null>`${detail}`.as('detail'),
            ])
            .where('e.id', 'in', chunk)
            // Active webhooks for this e-mail's source, or for every e-mail.
            .where(({ exists, selectFrom }) =>
              exists(
                selectFrom('webhooks as w')
                  .select(sql`1`.as('one'))
                  .where('w.disabled_at', 'is', null)
                  .where((w) => w.or([w('w.owner_source', 'is', null), w('w.owner_source', '=', w.ref('e.source'))])),
              ),
            ),
        )
        .execute();
    }
  }
}

/**
 * The same as SQL text, for statements written once and reused (the sending process's outcomes):
 * the event of each row of `from` (aliased `row`) that meets `conditions`, typed by `type`.
 */
function eventInsertSql(row: string, type: string, from: string, conditions: string[]): string {
  const active = `exists (select 1 from webhooks w where w.disabled_at is null and (w.owner_source is null or w.owner_source = ${row}.source))`;
  return `insert into email_events (${EVENT_COLUMNS.join(', ')})
    select ${row}.id, ${type}, ${row}.status, ${row}.source, ${row}.updated_at, ${row}.attempt_count,
      case when ${row}.status = 'error' then ${row}.due_at else null end, ${row}.finished_at, ${row}.last_reply_code,
      ${row}.last_reply, ${row}.rejected_recipients, ${row}.recipients, ${row}.reports, null
    from ${from}
    where ${[...conditions, active].join(' and ')}`;
}

/** SQLite, for one e-mail, to prepare once: bind the event type, then the e-mail's id. */
export const EMAIL_EVENT_SQLITE = eventInsertSql('e', '?', 'emails e', ['e.id = ?']);

/**
 * PostgreSQL, as the body of a WITH clause: the events of the rows an earlier data-modifying CTE
 * named `cte` RETURNed (EVENT_SOURCE_COLUMNS and `event`, the type; rows without one make none).
 * One round trip for the status change, its attempt and its event. `cte` is our own name.
 */
export const emailEventsFromPostgres = (cte: string): string => eventInsertSql(cte, `${cte}.event::text`, cte, [`${cte}.event is not null`]);
