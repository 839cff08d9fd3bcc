// A container stop (SIGTERM) while the relay does not answer three sends and a webhook receiver
// does not answer either: `postroom serve` is gone well within Docker's 10 s, gives the e-mails
// back, and each cut-off send leaves an attempt that says it may or may not have arrived.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { TEST_MASTER_KEY, createTestDatabase, openTestPostroom, sinkSettings } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/waiting.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

describe('a container stop while sends hang at the relay', () => {
  it('exits within 10 s (7 s grace by default), gives the e-mails back, and says which sends were cut off', async () => {
    const sink = await startSmtpSink({ hangOn: /Subject: Hang/ });
    const receiver = await startWebhookReceiver();
    receiver.answers.push('hang', 'hang', 'hang');
    const db = await createTestDatabase('sqlite');
    const view = await openTestPostroom(db);
    try {
      await view.settings.update(sinkSettings(sink.port, { smtpMaxConnections: 3 }), 'test');
      await view.webhooks.create({ allowPrivateTarget: true, url: receiver.url, events: ['email.cancelled'] }, { kind: 'admin', actor: 'admin:test' });
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await view.queue.handOver({ to: [`h${i}@example.org`], subject: `Hang ${i}`, text: 'x' }, 'test')).id);
      // An event for the receiver that never answers.
      await view.queue.cancel((await view.queue.handOver({ to: ['c@example.org'], subject: 'Cancelled', text: 'x' }, 'test')).id);

      const child = spawn(process.execPath, ['bin/postroom.js', 'serve'], {
        env: {
          ...process.env,
          POSTROOM_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
          POSTROOM_PORT: '0',
          POSTROOM_DATA_DIR: db.dataDir,
          POSTROOM_DATABASE_URL: '',
          POSTROOM_ADMIN_PASSWORD: 'shutdown test password',
          POSTROOM_LOG_LEVEL: 'info',
          NODE_EXTRA_CA_CERTS: testPki().caFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr.on('data', (c: Buffer) => (log += c.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await until(() => sink.hung === 3, 30_000, 'three sends hanging at the relay');
      // The receiver has the event and is not answering.
      await until(() => receiver.answers.length < 3, 10_000, 'a webhook delivery hanging at the receiver');

      const stopping = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      const tookMs = Date.now() - stopping;
      assert.equal(code, 0, `a clean exit:\n${log}`);
      assert.ok(tookMs < 10_000, `postroom serve stopped in ${tookMs} ms (Docker kills after 10 s):\n${log}`);
      assert.match(log, /in-flight sends did not finish within the shutdown grace: released/);

      for (const id of ids) {
        const e = await view.queue.show(id);
        assert.equal(e.status, 'pending', `e-mail ${id} is given back`);
        const cut = e.attemptLog.filter((a) => a.outcome === 'interrupted');
        assert.equal(cut.length, 1, `e-mail ${id} has one attempt for the cut-off send: ${JSON.stringify(e.attemptLog)}`);
        assert.match(cut[0]?.reply ?? '', /Postroom stopped while this e-mail was at the server, which had not answered within the 7 s shutdown grace: it may or may not have been delivered/);
      }
    } finally {
      await view.close();
      await receiver.close();
      await sink.close();
      await db.cleanup();
    }
  });
});
