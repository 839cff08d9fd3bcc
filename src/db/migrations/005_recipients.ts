// Per-recipient outcomes: each recipient accepted, refused or deferred, so that only deferred
// recipients are tried again. A new nullable column: every stored e-mail keeps all it had.
import type { Kysely } from 'kysely';

export function recipients() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('emails').addColumn('recipients', 'text').execute();
    },
  };
}
