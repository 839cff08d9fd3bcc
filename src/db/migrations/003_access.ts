// Who may do what: the administrator's password, browser sessions, the API tokens of host
// applications, and the directory of users the host application sends for.
import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

export function access(dialect: Dialect) {
  const isPg = dialect === 'postgres';
  const ms = isPg ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('admins')
        .addColumn('username', 'text', (c) => c.primaryKey())
        .addColumn('password_hash', 'text')
        .addColumn('setup_token_hash', 'text')
        .addColumn('setup_expires_at', ms)
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', isPg ? 'bigint' : 'integer', (c) => (isPg ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('last_used_at', ms)
        .addColumn('revoked_at', ms)
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        /** Lower-cased e-mail: the postmaster rule and look-ups compare without case. */
        .addColumn('email_key', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email_software', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_email_key').on('users').column('email_key').execute();

      // A host token lists the e-mails it handed over: newest first, by source.
      await db.schema.createIndex('emails_source_id').on('emails').columns(['source', 'id']).execute();
    },
  };
}
