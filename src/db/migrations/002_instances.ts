// Each running sending process reports here after every campaign, so that another process
// (the CLI, the health check, another instance) can tell whether mail is moving and why not.
import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

export function instances(dialect: Dialect) {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('started_at', ms, (c) => c.notNull())
        .addColumn('heartbeat_at', ms, (c) => c.notNull())
        .addColumn('stopped_at', ms)
        /** JSON of the last campaign report. */
        .addColumn('last_campaign', 'text')
        .execute();
    },
  };
}
