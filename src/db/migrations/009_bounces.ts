// Bounce processing: the delivery reports matched to e-mails, each recipient's latest report on
// the e-mail itself, the state of the postmaster's mailbox reading, and events that carry a recipient.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

export function bounces(dialect: Dialect) {
  const isPg = dialect === 'postgres';
  const ms = isPg ? 'bigint' : 'integer';
  const idType = isPg ? 'bigint' : 'integer';
  const identity = (c: ColumnDefinitionBuilder) => (isPg ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // Per recipient, the latest report's facts (JSON): written only by bounce processing, never
      // by the sending process's outcome statements, so neither can overwrite the other.
      await db.schema.alterTable('emails').addColumn('reports', 'text').execute();
      // The Message-ID a service used when it is not ours (Graph may assign its own).
      await db.schema.alterTable('emails').addColumn('sent_message_id', 'text').execute();
      // A report that lost our X-Postroom-Id is matched by the Message-ID it returns.
      await db.schema.createIndex('emails_message_id').on('emails').column('message_id').execute();
      await db.schema
        .createIndex('emails_sent_message_id')
        .on('emails')
        .column('sent_message_id')
        .where(sql.ref('sent_message_id'), 'is not', null)
        .execute();

      await db.schema
        .createTable('delivery_reports')
        .addColumn('id', idType, identity)
        .addColumn('email_id', idType, (c) => c.notNull())
        /** sha256 of the report's identity (its Message-ID, else its content): read twice, kept once. */
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('received_at', ms, (c) => c.notNull())
        .addColumn('reported_at', ms, (c) => c.notNull())
        /** postroom-id, message-id, in-reply-to or envelope-id: the evidence that named the e-mail. */
        .addColumn('matched_by', 'text', (c) => c.notNull())
        .addColumn('reporter', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        /** JSON array of the recipients' facts as this report gave them. */
        .addColumn('recipients', 'text', (c) => c.notNull())
        /** The report as received, its first 64 KiB. */
        .addColumn('raw', 'text', (c) => c.notNull())
        .addColumn('raw_truncated', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('delivery_reports_once').on('delivery_reports').columns(['email_id', 'fingerprint']).unique().execute();
      await db.schema.createIndex('delivery_reports_received').on('delivery_reports').column('received_at').execute();

      await db.schema
        .createTable('mailbox_checks')
        /** One row: 'bounces'. */
        .addColumn('id', 'text', (c) => c.primaryKey())
        /** Which mailbox the cursor belongs to (route, host, user, mailbox): another one starts over. */
        .addColumn('identity', 'text', (c) => c.notNull())
        /** Where the next check starts: "<UIDVALIDITY>:<last UID>" over IMAP, the delta or next link over Graph. */
        .addColumn('cursor', 'text')
        /** The instance reading the mailbox now, and until when (one at a time across instances). */
        .addColumn('holder', 'text')
        .addColumn('lease_until', ms)
        .addColumn('started_at', ms)
        .addColumn('finished_at', ms)
        .addColumn('succeeded_at', ms)
        .addColumn('error', 'text')
        .addColumn('error_at', ms)
        /** JSON: counts of the last check (seen, reports, matched, unmatched, skipped). */
        .addColumn('last_counts', 'text')
        .addColumn('matched_total', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('unmatched_total', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      // email.bounced and email.delayed concern one recipient: the report's facts for it (JSON).
      await db.schema.alterTable('email_events').addColumn('detail', 'text').execute();
      // The recipients' reports as the change left them, like the recipients' answers.
      await db.schema.alterTable('email_events').addColumn('reports', 'text').execute();
    },
  };
}
