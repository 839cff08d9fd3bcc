// kill -9 of `postroom serve` between an e-mail's status change and the webhook delivery it
// causes: the event was stored with the change, so after a restart the receiver gets it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { BACKENDS, SKIP_POSTGRES, TEST_MASTER_KEY, createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { verifySignature } from '../../src/webhooks/index.js';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

const children: ChildProcess[] = [];
after(() => children.forEach((c) => c.kill('SIGKILL')));

function serve(db: TestDatabase): ChildProcess {
  // The child finds its PostgreSQL schema through the connection's search_path.
  const databaseUrl = db.databaseUrl ? `${db.databaseUrl}?options=${encodeURIComponent(`-c search_path=${db.pgSchema}`)}` : '';
  const child = spawn(process.execPath, ['bin/postroom.js', 'serve'], {
    env: {
      ...process.env,
      POSTROOM_DATA_DIR: db.dataDir,
      POSTROOM_DATABASE_URL: databaseUrl,
      POSTROOM_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
      POSTROOM_PORT: '0',
      POSTROOM_ADMIN_PASSWORD: 'webhook crash test password',
      POSTROOM_LEASE_SECONDS: '2',
      POSTROOM_LOG_LEVEL: 'warn',
      NODE_EXTRA_CA_CERTS: testPki().caFile,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

describe('webhooks across a crash', () => {
  for (const backend of BACKENDS) {
    it(`delivers the event of a status change made just before a SIGKILL (${backend})`, { skip: backend === 'postgres' && SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, async () => {
      const sink = await startSmtpSink();
      const receiver = await startWebhookReceiver();
      const db = await createTestDatabase(backend);
      const postroom = await openTestPostroom(db);
      try {
        await postroom.settings.update(sinkSettings(sink.port), 'test');
        const hook = await postroom.webhooks.create({ allowPrivateTarget: true, url: receiver.url, events: ['email.sent'] }, { kind: 'admin', actor: 'admin:test' });
        // Until the kill, the receiver acknowledges nothing: whatever the first process managed,
        // no delivery of this event can have been completed before it died.
        receiver.answers.push(...Array<'hang'>(50).fill('hang'));
        const { id } = await postroom.queue.handOver({ to: ['a@example.org'], subject: 'invoice 42', text: 'x' }, 'test');

        const first = serve(db);
        const deadline = Date.now() + 30_000;
        while ((await postroom.queue.show(id)).status !== 'sent') {
          assert.ok(Date.now() < deadline, 'the first process sent the e-mail');
          await new Promise((r) => setTimeout(r, 5));
        }
        first.kill('SIGKILL');
        await new Promise((r) => first.once('exit', r));
        assert.equal(receiver.received.length, 0, 'nothing acknowledged before the kill');
        const events = await postroom.store.db.selectFrom('email_events').select('id').execute();
        const deliveries = await postroom.store.db.selectFrom('webhook_deliveries').select('status').execute();
        assert.equal(events.length + deliveries.length, 1, 'the event was stored with the status change');

        receiver.answers.length = 0;
        serve(db);
        // A delivery the first process had started waits out its lease (30 s) before a retry.
        const [got] = await receiver.waitFor(1, 60_000);
        assert.equal(got?.body.type, 'email.sent');
        assert.equal(got?.body.data.email.id, id);
        assert.equal(verifySignature(got?.raw ?? '', got?.signature, hook.secret), true, 'signed with the webhook secret');
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual([...new Set(receiver.received.map((r) => r.eventId))], [got?.eventId], 'one event, however many times delivered');
      } finally {
        children.forEach((c) => c.kill('SIGKILL'));
        await postroom.close();
        await receiver.close();
        await sink.close();
        await db.cleanup();
      }
    });
  }
});
