// settings_audit becomes audit_log: it has long recorded every administrative change (settings,
// tokens, webhooks, users, retries), not only the settings. A rename in place, so every row stays.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

export function auditLog(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('settings_audit').renameTo('audit_log').execute();
      if (dialect === 'postgres') {
        // PostgreSQL keeps the old names on what the table owns; renamed too, so none still says settings_audit.
        await sql`alter index settings_audit_at rename to audit_log_at`.execute(db);
        await sql`alter index settings_audit_pkey rename to audit_log_pkey`.execute(db);
        const seq = await sql<{ seq: string | null }>`select pg_get_serial_sequence('audit_log', 'id') as seq`.execute(db);
        if (seq.rows[0]?.seq) await sql`alter sequence ${sql.raw(seq.rows[0].seq)} rename to audit_log_id_seq`.execute(db);
      } else {
        // SQLite renames the table's AUTOINCREMENT counter with it, but cannot rename an index.
        await db.schema.dropIndex('settings_audit_at').execute();
        await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      }
    },
  };
}
