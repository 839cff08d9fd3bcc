// A PostgreSQL database that keeps dropping its connections (a failover, a proxy restart, a
// network blip every moment): two instances drain an outbox meanwhile. The duplicates stay within
// what was at the servers when connections dropped, sending resumes as soon as the drops stop, and
// /healthz says the database keeps failing while it does.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import pg from 'pg';
import { OUTCOMES_IN_WRITING_PER_SLOT } from '../../src/dispatcher/index.js';
import { SKIP_POSTGRES, TEST_DATABASE_URL, createTestDatabase, openTestPostroom, sinkSettings } from '../helpers/backends.js';
import { Client, startHttp } from '../helpers/http.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { testPki } from '../helpers/pki.js';
import { until } from '../helpers/waiting.js';

const COUNT = 1_500;
const CONNECTIONS = 3;
const INSTANCES = 2;
const FLAP_MS = 8_000;
/** The README's bound: per instance, the sends at the server and the outcomes being written. */
const BOUND = INSTANCES * CONNECTIONS * (1 + OUTCOMES_IN_WRITING_PER_SLOT);

describe('PostgreSQL dropping every connection every 100 ms', { skip: SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, () => {
  it('two instances keep within the duplicate bound, say the database keeps failing, and resume at once when it stops', async (t) => {
    const sink = await startSmtpSink({ dataDelayMs: 5 });
    const db = await createTestDatabase('postgres');
    // Only the instances' connections are dropped: the test's own view and other tests' are left alone.
    const app = `postroom-flap-${crypto.randomBytes(4).toString('hex')}`;
    const flapping = { ...db, databaseUrl: `${TEST_DATABASE_URL}?application_name=${app}` };
    const view = await openTestPostroom(db);
    const instances = await Promise.all(Array.from({ length: INSTANCES }, () => openTestPostroom(flapping, { dispatcher: { leaseMs: 10_000, route: { ca: testPki().caPem } } })));
    const server = await startHttp(instances[0] as (typeof instances)[number]);
    const killer = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await killer.connect();
    try {
      await view.settings.update(sinkSettings(sink.port, { smtpMaxConnections: CONNECTIONS, wakeOnHandOver: true }), 'test');
      for (let i = 0; i < COUNT; i++) await view.queue.handOver({ to: [`f${i}@example.org`], subject: `Flap ${i}`, text: 'x' }, 'test');
      for (const p of instances) await p.dispatcher.start();
      await until(() => sink.messages.length >= 100, 30_000, 'the drain to be under way');

      const statuses = new Set<number>();
      const flapUntil = Date.now() + FLAP_MS;
      while (Date.now() < flapUntil) {
        await killer.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [app]);
        if (statuses.size < 2) statuses.add((await fetch(`${server.url}/healthz`)).status);
        await sleep(100);
      }
      const calm = Date.now();
      const atCalm = sink.messages.length;
      assert.ok(atCalm < COUNT, 'the drops came before the end of the drain');
      assert.ok(statuses.has(503), `/healthz said the database keeps failing (statuses seen: ${[...statuses].join(', ')})`);

      await until(() => sink.messages.length > atCalm + 10, 10_000, 'sending to resume after the drops stop');
      const resumedMs = Date.now() - calm;
      await until(async () => (await view.queue.counts()).sent === COUNT, 60_000, 'every e-mail to be sent').catch(async (err: Error) =>
        assert.fail(`${err.message}: ${JSON.stringify(await view.queue.counts())}`),
      );
      await sleep(500);
      const ids = sink.messages.map((m) => m.parsed.messageId);
      assert.equal(new Set(ids).size, COUNT, 'every e-mail reached the server');
      const duplicates = ids.length - COUNT;
      t.diagnostic(`${duplicates} duplicate(s) (bound ${BOUND}); sending resumed ${resumedMs} ms after the drops stopped`);
      assert.ok(duplicates <= BOUND, `${duplicates} duplicates, at most the ${BOUND} sends at the servers or being written`);
      assert.ok(resumedMs < 5_000, `sending resumed ${resumedMs} ms after the drops stopped`);
      // Once it is calm again, /healthz is back to 200 within moments.
      const admin = new Client(server.url);
      await until(async () => (await admin.get('/healthz')).status === 200, 15_000, '/healthz to be 200 again');
    } finally {
      await killer.end();
      await server.close();
      for (const p of instances) await p.close();
      await view.close();
      await sink.close();
      await db.cleanup();
    }
  });
});
