// The first schema. Written once for both backends: only the identity column and the binary
// type differ, and those branch on the dialect.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

export function initial(dialect: Dialect) {
  const isPg = dialect === 'postgres';
  const ms = isPg ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const identity = (c: ColumnDefinitionBuilder) =>
        isPg ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('settings_audit')
        .addColumn('id', isPg ? 'bigint' : 'integer', identity)
        .addColumn('at', ms, (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('old_value', 'text')
        .addColumn('new_value', 'text')
        .addColumn('secret', 'boolean', (c) => c.notNull().defaultTo(false))
        .execute();
      await db.schema.createIndex('settings_audit_at').on('settings_audit').column('at').execute();

      await db.schema
        .createTable('emails')
        .addColumn('id', isPg ? 'bigint' : 'integer', identity)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text')
        .addColumn('sender_email', 'text')
        .addColumn('sender_name', 'text')
        .addColumn('to_addrs', 'text', (c) => c.notNull())
        .addColumn('cc_addrs', 'text', (c) => c.notNull())
        .addColumn('bcc_addrs', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text_body', 'text')
        .addColumn('html_body', 'text')
        .addColumn('headers', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addColumn('due_at', ms)
        .addColumn('lease_owner', 'text')
        .addColumn('claim_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attempt_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('first_failure_at', ms)
        .addColumn('finished_at', ms)
        .addColumn('last_reply_code', 'integer')
        .addColumn('last_reply', 'text')
        .addColumn('rejected_recipients', 'text')
        .addColumn('size_bytes', 'integer', (c) => c.notNull())
        .addColumn('attachment_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('source', 'text', (c) => c.notNull())
        .execute();
      // The claim reads only this index: due e-mails, oldest first. Partial, so sent mail costs nothing.
      await db.schema.createIndex('emails_due').on('emails').column('due_at').where(sql.ref('due_at'), 'is not', null).execute();
      await db.schema.createIndex('emails_finished').on('emails').column('finished_at').where(sql.ref('finished_at'), 'is not', null).execute();
      await db.schema.createIndex('emails_status_id').on('emails').columns(['status', 'id']).execute();
      await db.schema.createIndex('emails_idempotency').on('emails').column('idempotency_key').unique().execute();

      await db.schema
        .createTable('attempts')
        .addColumn('id', isPg ? 'bigint' : 'integer', identity)
        .addColumn('email_id', isPg ? 'bigint' : 'integer', (c) => c.notNull().references('emails.id'))
        .addColumn('started_at', ms, (c) => c.notNull())
        .addColumn('finished_at', ms, (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reply_code', 'integer')
        .addColumn('reply', 'text')
        .addColumn('instance', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('attempts_email').on('attempts').columns(['email_id', 'id']).execute();
      // Pacing counts the attempts of the last minute across every instance.
      await db.schema.createIndex('attempts_started').on('attempts').column('started_at').execute();

      await db.schema
        .createTable('blobs')
        .addColumn('sha256', 'text', (c) => c.primaryKey())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('content', isPg ? 'bytea' : 'blob', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('email_attachments')
        .addColumn('email_id', isPg ? 'bigint' : 'integer', (c) => c.notNull().references('emails.id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('filename', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('content_id', 'text')
        .addColumn('blob_sha256', 'text', (c) => c.notNull().references('blobs.sha256'))
        .addPrimaryKeyConstraint('email_attachments_pk', ['email_id', 'position'])
        .execute();
      await db.schema.createIndex('email_attachments_blob').on('email_attachments').column('blob_sha256').execute();
    },
  };
}
