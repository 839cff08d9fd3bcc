// kill -9 of `postroom serve` in the middle of a run: after a restart every e-mail is delivered,
// the only duplicates are the sends done but not yet recorded at the kill (in flight, or their
// outcome being written: a bounded number), and the attempts show the interruption.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { OUTCOMES_IN_WRITING_PER_SLOT } from '../../src/dispatcher/index.js';
import { TEST_MASTER_KEY, createTestDatabase, openTestPostroom, sinkSettings } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

const COUNT = 400;
const CONNECTIONS = 3;

describe('crash of the sending process', () => {
  const children: ChildProcess[] = [];
  after(() => children.forEach((c) => c.kill('SIGKILL')));

  it('loses nothing when killed with SIGKILL mid-run', async () => {
    const sink = await startSmtpSink({ dataDelayMs: 5 });
    const db = await createTestDatabase('sqlite');
    const postroom = await openTestPostroom(db);
    try {
      await postroom.settings.update(sinkSettings(sink.port, { smtpMaxConnections: CONNECTIONS }), 'test');
      for (let i = 0; i < COUNT; i++) await postroom.queue.handOver({ to: [`c${i}@example.org`], subject: `n${i}`, text: 'x' }, 'test');
      const serve = () => {
        const child = spawn(process.execPath, ['bin/postroom.js', 'serve'], {
          env: {
            ...process.env,
            POSTROOM_DATA_DIR: db.dataDir,
            POSTROOM_DATABASE_URL: '',
            POSTROOM_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
            POSTROOM_PORT: '0',
            POSTROOM_ADMIN_PASSWORD: 'crash test password',
            POSTROOM_LEASE_SECONDS: '2',
            POSTROOM_LOG_LEVEL: 'warn',
            NODE_EXTRA_CA_CERTS: testPki().caFile,
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        children.push(child);
        return child;
      };
      const first = serve();
      // Mid-batch (the sending process claims 100 at a time): killing right at a batch boundary
      // could find nothing in flight, and then there is no interruption to show.
      await sink.waitFor(130, 30_000);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      // Whatever was on the wire reaches the sink (it answers each message after 5 ms).
      await new Promise((r) => setTimeout(r, 200));
      const atKill = sink.messages.length;
      assert.ok(atKill < COUNT, 'killed before the end');
      // Sent, but the dead process had not recorded it: the sink has it, the queue says 'sending'.
      const deliveredAtKill = new Set(sink.messages.map((m) => m.parsed.messageId));
      const held = await postroom.store.db.selectFrom('emails').select('message_id').where('status', '=', 'sending').execute();
      const unrecorded = held.filter((e) => deliveredAtKill.has(e.message_id)).length;

      serve();
      await sink.waitFor(COUNT, 60_000);
      let counts = await postroom.queue.counts();
      for (let i = 0; i < 50 && counts.sent < COUNT; i++) {
        await new Promise((r) => setTimeout(r, 100));
        counts = await postroom.queue.counts();
      }
      assert.equal(counts.sent, COUNT, 'every e-mail delivered');
      const ids = sink.messages.map((m) => m.parsed.messageId);
      const duplicates = ids.length - new Set(ids).size;
      assert.equal(new Set(ids).size, COUNT);
      assert.equal(duplicates, unrecorded, 'only the sends done but not recorded at the kill went out twice');
      // In flight on each connection, plus the outcomes each may have waiting to be written.
      const bound = CONNECTIONS * (1 + OUTCOMES_IN_WRITING_PER_SLOT);
      assert.ok(duplicates <= bound, `${duplicates} duplicates, at most ${bound} (sends in flight or being recorded)`);
      const interrupted = await postroom.store.db.selectFrom('attempts').select('email_id').where('outcome', '=', 'interrupted').execute();
      assert.ok(interrupted.length >= 1, 'the attempts show the interrupted sends');
    } finally {
      await postroom.close();
      await sink.close();
      await db.cleanup();
    }
  });
});
