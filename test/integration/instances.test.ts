// Several `postroom serve` processes on one PostgreSQL queue: every e-mail delivered exactly once
// in a normal run, and settings changed by one process seen by all at their next campaign.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { SKIP_POSTGRES, TEST_MASTER_KEY, createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

const COUNT = 300;

describe('three instances on one PostgreSQL database', { skip: SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let postroom: Postroom;
  const children: ChildProcess[] = [];

  before(async () => {
    sink = await startSmtpSink({ dataDelayMs: 20 });
    db = await createTestDatabase('postgres');
    postroom = await openTestPostroom(db);
    await postroom.settings.update(sinkSettings(sink.port, { enabled: false }), 'test');
    for (let i = 0; i < COUNT; i++) await postroom.queue.handOver({ to: [`c${i}@example.org`], subject: `Invoice ${i}`, text: 'Due.' }, 'test');
    const url = `${db.databaseUrl}?options=${encodeURIComponent(`-c search_path=${db.pgSchema}`)}`;
    for (let i = 0; i < 3; i++) {
      const child = spawn(process.execPath, ['bin/postroom.js', 'serve'], {
        env: {
          ...process.env,
          POSTROOM_DATABASE_URL: url,
          POSTROOM_DATA_DIR: db.dataDir,
          POSTROOM_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
          POSTROOM_PORT: '0',
          POSTROOM_ADMIN_PASSWORD: 'instances test password',
          POSTROOM_LOG_LEVEL: 'warn',
          NODE_EXTRA_CA_CERTS: testPki().caFile,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
    }
  });

  after(async () => {
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); }) : undefined)),
    );
    await postroom.close();
    await sink.close();
    await db.cleanup();
  });

  it('deliver every e-mail exactly once, sharing the work', async () => {
    // Enabled by one writer while all three run: each sees it at its next campaign.
    await new Promise((r) => setTimeout(r, 1500));
    await postroom.settings.update({ enabled: true }, 'test');
    await sink.waitFor(COUNT, 60_000);
    await new Promise((r) => setTimeout(r, 1500)); // room for a duplicate to show up, if any
    const ids = sink.messages.map((m) => m.parsed.messageId);
    assert.equal(sink.messages.length, COUNT, 'no e-mail twice');
    assert.equal(new Set(ids).size, COUNT, 'every e-mail once');
    assert.equal((await postroom.queue.counts()).sent, COUNT);
    const senders = new Set((await postroom.store.db.selectFrom('attempts').select('instance').execute()).map((r) => r.instance));
    assert.ok(senders.size >= 2, `the instances shared the work (${senders.size} sent)`);
  });
});
