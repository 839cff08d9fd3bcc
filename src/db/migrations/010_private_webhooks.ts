// Private webhook targets are allowed per webhook by an administrator, no longer for every token
// by one setting: the webhooks the old setting let through keep working, and the setting goes.
import { sql, type Kysely } from 'kysely';

export function privateWebhooks() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      /** The administrator who allowed this webhook a private or loopback address; null: public only. */
      await db.schema.alterTable('webhooks').addColumn('private_allowed_by', 'text').execute();
      const old = await sql<{ value: string }>`select value from settings where key = 'webhooksAllowPrivate'`.execute(db);
      if (old.rows[0]?.value === 'true') {
        await sql`update webhooks set private_allowed_by = 'webhooksAllowPrivate (the setting this replaced)'`.execute(db);
      }
      await sql`delete from settings where key = 'webhooksAllowPrivate'`.execute(db);
    },
  };
}
