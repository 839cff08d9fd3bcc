// Several Postroom processes starting at once on a fresh data directory (`serve` beside a CLI
// command, or a service manager starting instances together) must all come up on one schema;
// and two Postroom databases may live in two schemas of one PostgreSQL database.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { openStore } from '../../src/db/index.js';
import { sql } from 'kysely';
import { BACKENDS, createTestDatabase, openTestPostroom } from '../helpers/backends.js';

const CONNECT = fileURLToPath(new URL('../../src/db/index.ts', import.meta.url));

function openInChild(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const script = `
    const { openStore } = await import(${JSON.stringify(CONNECT)});
    const store = await openStore({ dataDir: ${JSON.stringify(dataDir)} });
    await store.db.selectFrom('settings').selectAll().execute();
    await store.close();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('schema migrations', () => {
  it('four processes opening the same fresh SQLite file at once all succeed', async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-migrate-'));
    t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const results = await Promise.all([1, 2, 3, 4].map(() => openInChild(dataDir)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
  });

  it('gives a second PostgreSQL schema of the same database its own tables', async () => {
    const first = await createTestDatabase('postgres');
    const second = await createTestDatabase('postgres');
    try {
      const a = await openStore({ dataDir: first.dataDir, databaseUrl: first.databaseUrl, pgSchema: first.pgSchema });
      const b = await openStore({ dataDir: second.dataDir, databaseUrl: second.databaseUrl, pgSchema: second.pgSchema });
      await a.db.insertInto('settings').values({ key: 'postmaster', value: '"a@example.com"', updated_at: 1, updated_by: 'test' }).execute();
      const inB = await b.db.selectFrom('settings').selectAll().execute();
      assert.deepEqual(inB, [], 'the second schema does not see the first one\'s rows');
      await a.close();
      await b.close();
    } finally {
      await first.cleanup();
      await second.cleanup();
    }
  });

  for (const backend of BACKENDS) {
    it(`upgrading keeps the webhooks the retired webhooksAllowPrivate let through, and drops the setting (${backend})`, async () => {
      const db = await createTestDatabase(backend);
      try {
        const open = () => openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, pgSchema: db.pgSchema });
        // A database as the version before left it: the setting on, a webhook made under it.
        const before = await open();
        await sql`delete from kysely_migration where name = '010_private_webhooks'`.execute(before.db);
        await sql`alter table webhooks drop column private_allowed_by`.execute(before.db);
        await before.db.insertInto('settings').values({ key: 'webhooksAllowPrivate', value: 'true', updated_at: 1, updated_by: 'admin' }).execute();
        await sql`insert into webhooks (url, events, secret, owner_source, token_id, created_by, created_at) values ('http://10.0.0.5/h', '[]', 's', null, null, 'admin', 1)`.execute(before.db);
        await before.close();

        const after = await open();
        const hooks = await after.db.selectFrom('webhooks').select(['url', 'private_allowed_by']).execute();
        assert.deepEqual(hooks, [{ url: 'http://10.0.0.5/h', private_allowed_by: 'webhooksAllowPrivate (the setting this replaced)' }]);
        assert.deepEqual(await after.db.selectFrom('settings').select('key').where('key', '=', 'webhooksAllowPrivate').execute(), []);
        await after.close();
      } finally {
        await db.cleanup();
      }
    });

    it(`upgrading renames settings_audit to audit_log with every entry kept, and new entries follow them (${backend})`, async () => {
      const db = await createTestDatabase(backend);
      try {
        // A database as the version before left it: the table under its old name (and its index,
        // key and sequence on PostgreSQL), with entries in it.
        const before = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, pgSchema: db.pgSchema });
        await sql`delete from kysely_migration where name = '011_audit_log'`.execute(before.db);
        await sql`alter table audit_log rename to settings_audit`.execute(before.db);
        if (backend === 'postgres') {
          await sql`alter index audit_log_at rename to settings_audit_at`.execute(before.db);
          await sql`alter index audit_log_pkey rename to settings_audit_pkey`.execute(before.db);
          await sql`alter sequence audit_log_id_seq rename to settings_audit_id_seq`.execute(before.db);
        } else {
          await sql`drop index audit_log_at`.execute(before.db);
          await sql`create index settings_audit_at on settings_audit (at)`.execute(before.db);
        }
        await sql`insert into settings_audit (at, actor, key, old_value, new_value, secret) values (1000, 'admin:alice', 'postmaster', null, '"pm@corp.example"', ${backend === 'postgres' ? false : 0})`.execute(before.db);
        await sql`insert into settings_audit (at, actor, key, old_value, new_value, secret) values (2000, 'admin:alice', 'token.create', null, '{"name":"ERP"}', ${backend === 'postgres' ? false : 0})`.execute(before.db);
        await before.close();

        const after = await openTestPostroom(db);
        try {
          const kept = await after.settings.audit();
          assert.deepEqual(
            kept.map((e) => [e.at, e.actor, e.key, e.newValue]),
            [
              ['1970-01-01T00:00:02.000Z', 'admin:alice', 'token.create', { name: 'ERP' }],
              ['1970-01-01T00:00:01.000Z', 'admin:alice', 'postmaster', 'pm@corp.example'],
            ],
          );
          // The identity carried over: a change made now is numbered after the entries kept.
          await after.settings.update({ campaignIntervalSeconds: 7 }, 'admin:bob');
          const [latest] = await after.settings.audit(1);
          assert.equal(latest?.key, 'campaignIntervalSeconds');
          assert.ok((latest?.id ?? 0) > Math.max(...kept.map((e) => e.id)), `new entry ${latest?.id} numbered after ${kept.map((e) => e.id).join(', ')}`);
          await assert.rejects(sql`select count(*) from settings_audit`.execute(after.store.db), /settings_audit/, 'the old name is gone');
        } finally {
          await after.close();
        }
      } finally {
        await db.cleanup();
      }
    });
  }
});
