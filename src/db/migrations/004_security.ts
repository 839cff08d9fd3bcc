// Security hardening: idempotency keys scoped to their caller, sign-in attempts counted in the
// database (shared by every instance), users owned by the source that made them, idle sessions.
import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

export function security(dialect: Dialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // The old index made a key unique across every caller, so no two sources share a key yet:
      // the new index (source, key) accepts every row there is. New index first, then the old
      // one goes, so a key is never unguarded in between.
      await db.schema.createIndex('emails_source_idempotency').on('emails').columns(['source', 'idempotency_key']).unique().execute();
      await db.schema.dropIndex('emails_idempotency').execute();

      // One row per client address ("ip:…") and per user name ("user:…"): attempts counted
      // before the password is checked, within a window that starts at the first one.
      await db.schema
        .createTable('login_attempts')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('window_started_at', ms, (c) => c.notNull())
        .execute();

      // The source (token or administrator) that created a user; null for users made before
      // owners were recorded.
      await db.schema.alterTable('users').addColumn('owner', 'text').execute();

      // Idle timeout: when the session was last used (null: never since it was created).
      await db.schema.alterTable('sessions').addColumn('last_seen_at', ms).execute();
    },
  };
}
