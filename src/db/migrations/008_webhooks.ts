// Webhooks: the receivers host applications registered, the e-mail events written in the same
// transaction as the status change that caused them, and each delivery of an event to a receiver.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

export function webhooks(dialect: Dialect) {
  const isPg = dialect === 'postgres';
  const ms = isPg ? 'bigint' : 'integer';
  const idType = isPg ? 'bigint' : 'integer';
  const identity = (c: ColumnDefinitionBuilder) => (isPg ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement());
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // sendAt: kept apart from due_at, which changes with every claim and retry.
      await db.schema.alterTable('emails').addColumn('send_at', ms).execute();

      await db.schema
        .createTable('webhooks')
        .addColumn('id', idType, identity)
        .addColumn('url', 'text', (c) => c.notNull())
        /** JSON array of event types. */
        .addColumn('events', 'text', (c) => c.notNull())
        /** Sealed with the master key, like the settings' secrets. */
        .addColumn('secret', 'text', (c) => c.notNull())
        /** The emails.source whose events it receives; NULL: every e-mail (an administrator's). */
        .addColumn('owner_source', 'text')
        /** The API token that made it: revoking the token silences it. */
        .addColumn('token_id', idType)
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('failing_since', ms)
        .addColumn('disabled_at', ms)
        .addColumn('disabled_reason', 'text')
        .execute();

      await db.schema
        .createTable('email_events')
        .addColumn('id', idType, identity)
        .addColumn('email_id', idType, (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        // The e-mail as the change left it: what the receiver is told, even if it changes again.
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('attempt_count', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', ms)
        .addColumn('finished_at', ms)
        .addColumn('last_reply_code', 'integer')
        .addColumn('last_reply', 'text')
        .addColumn('rejected_recipients', 'text')
        /** Per-recipient states (emails.recipients, migration 005). */
        .addColumn('recipients', 'text')
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', idType, identity)
        .addColumn('webhook_id', idType, (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
        /** Postroom-Event-Id: the same for every receiver of one event. */
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('status_version', idType, (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('email_id', idType, (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', ms)
        .addColumn('last_status', 'integer')
        .addColumn('last_body_excerpt', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('delivered_at', ms)
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_due')
        .on('webhook_deliveries')
        .column('next_attempt_at')
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema.createIndex('webhook_deliveries_log').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();
      await db.schema.createIndex('webhook_deliveries_created').on('webhook_deliveries').column('created_at').execute();
    },
  };
}
