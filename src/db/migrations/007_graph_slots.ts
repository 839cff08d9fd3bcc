// Microsoft Graph's four concurrent requests per mailbox, shared by every instance on one
// PostgreSQL database: a row per taken slot, with a lease so a dead instance's slot frees itself.
import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

export function graphSlots(dialect: Dialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('graph_slots')
        /** The mailbox in lower case. */
        .addColumn('mailbox', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('graph_slots_pk', ['mailbox', 'slot'])
        .execute();
    },
  };
}
