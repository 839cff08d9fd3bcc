// Recovery without a restart: an SMTP server that drops connections mid-DATA, a PostgreSQL that is
// unreachable for a few seconds, a SQLite file locked by another process; nothing is lost.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import type { Postroom, PostroomOptions } from '../../src/app.js';
import {
  SKIP_POSTGRES,
  TEST_MASTER_KEY,
  createTestDatabase,
  openTestPostroom,
  sinkSettings,
  type TestDatabase,
} from '../helpers/backends.js';
import { OUTCOMES_IN_WRITING_PER_SLOT } from '../../src/dispatcher/index.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startProxy, type Pair, type Tap, type TcpProxy } from '../helpers/tcp-proxy.js';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

/**
 * SMTP tap: the first `cuts` times a client sends DATA, pass on the first bytes of the message
 * and then drop the connection, as a server that fails in the middle of a transfer.
 */
function cutMidData(cuts: number): { tap: Tap; readonly done: number } {
  let left = cuts;
  let done = 0;
  const tail = new WeakMap<Pair, string>();
  const doomed = new WeakSet<Pair>();
  const tap: Tap = (chunk, pair) => {
    if (doomed.has(pair)) {
      // The client had its 354 and is sending the message: part of it gets through.
      done++;
      return { forward: chunk.subarray(0, 64), cut: true };
    }
    if (left > 0) {
      const seen = (tail.get(pair) ?? '') + chunk.toString('latin1');
      tail.set(pair, seen.slice(-16));
      if (/(^|\r\n)DATA\r\n$/i.test(seen)) {
        left--;
        doomed.add(pair);
      }
    }
    return { forward: chunk, cut: false };
  };
  return {
    tap,
    get done() {
      return done;
    },
  };
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(50);
  }
}

/** Runs `postroom serve` (the built command, as an administrator would) and keeps its log. */
function serve(env: Record<string, string>, children: ChildProcess[]): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, ['bin/postroom.js', 'serve'], {
    env: {
      ...process.env,
      POSTROOM_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
      POSTROOM_PORT: '0',
      POSTROOM_ADMIN_PASSWORD: 'recovery test password',
      // A send whose outcome could not be recorded is taken up again this soon.
      POSTROOM_LEASE_SECONDS: '2',
      POSTROOM_LOG_LEVEL: 'warn',
      NODE_EXTRA_CA_CERTS: testPki().caFile,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  children.push(child);
  return { child, log: () => log };
}

/** Fails the test at once when the child has exited: it was meant to keep running. */
function running(child: ChildProcess, log: () => string): true {
  if (child.exitCode !== null || child.signalCode !== null) assert.fail(`postroom serve exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
  return true;
}

async function stopChildren(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((c) =>
      c.exitCode === null && c.signalCode === null
        ? new Promise((r) => {
            c.once('exit', r);
            c.kill('SIGTERM');
          })
        : undefined,
    ),
  );
}

/** Every e-mail delivered at least once; returns how many arrived more than once. */
function duplicatesOf(sink: SmtpSink, count: number): number {
  const ids = sink.messages.map((m) => m.parsed.messageId);
  assert.equal(new Set(ids).size, count, 'every e-mail reached the server');
  return ids.length - count;
}

/** Each e-mail that arrived twice shows, in its attempt log, the send that was not recorded. */
async function assertDuplicatesExplained(postroom: Postroom, sink: SmtpSink): Promise<void> {
  const seen = new Map<string, number>();
  for (const m of sink.messages) seen.set(m.parsed.messageId ?? '', (seen.get(m.parsed.messageId ?? '') ?? 0) + 1);
  for (const [messageId, n] of seen) {
    if (n < 2) continue;
    const row = await postroom.store.db.selectFrom('emails').select('id').where('message_id', '=', messageId).executeTakeFirstOrThrow();
    const shown = await postroom.queue.show(row.id);
    assert.ok(
      shown.attemptLog.some((a) => a.outcome === 'interrupted'),
      `e-mail ${row.id} was sent twice; its attempts should show the interrupted send: ${JSON.stringify(shown.attemptLog)}`,
    );
  }
}

describe('recovery without a restart', () => {
  const children: ChildProcess[] = [];
  after(() => stopChildren(children));

  describe('an SMTP server that drops connections in the middle of DATA', () => {
    const COUNT = 20;
    const CUTS = 3;
    // Short enough to see the retries within the test, long enough to be more than one campaign
    // interval (1 s); the default (1 minute first) is shown in the next test.
    const BACKOFF = { baseMs: 1_500, capMs: 3_000 };
    let sink: SmtpSink;
    let proxy: TcpProxy;
    let db: TestDatabase;
    let postroom: Postroom;

    const open = async (cuts: number, dispatcher: PostroomOptions['dispatcher'] = {}) => {
      // Plain text between Postroom and the proxy, so the proxy can tell where DATA begins.
      sink = await startSmtpSink({ startTls: false });
      const cutter = cutMidData(cuts);
      proxy = await startProxy('127.0.0.1', sink.port, cutter.tap);
      db = await createTestDatabase('sqlite');
      postroom = await openTestPostroom(db, { dispatcher });
      await postroom.settings.update(sinkSettings(proxy.port, { startTls: false, smtpMaxConnections: 2 }), 'test');
      return cutter;
    };
    const close = async () => {
      await postroom?.close();
      await proxy?.close();
      await sink?.close();
      await db?.cleanup();
    };

    it('records the dropped transfers as transient, retries them later, and delivers every e-mail once', async (t) => {
      try {
        const cutter = await open(CUTS, { backoff: BACKOFF });
        const ids: number[] = [];
        for (let i = 0; i < COUNT; i++) {
          ids.push((await postroom.queue.handOver({ to: [`d${i}@example.org`], subject: `Order ${i}`, text: 'Shipped.\n'.repeat(40) }, 'test')).id);
        }
        await postroom.dispatcher.start();
        await until('every e-mail is sent', 20_000, async () => (await postroom.queue.counts()).sent === COUNT);
        assert.equal(cutter.done, CUTS, 'the proxy cut the transfers it was told to');

        assert.equal(sink.messages.length, COUNT, 'a transfer cut mid-DATA was not accepted, so nothing arrived twice');
        assert.equal(duplicatesOf(sink, COUNT), 0);
        let failures = 0;
        for (const id of ids) {
          const e = await postroom.queue.show(id);
          assert.equal(e.status, 'sent');
          assert.match(e.lastReply ?? '', /^250 /, 'the last reply is the server accepting the message');
          const sent = e.attemptLog.at(-1);
          assert.equal(sent?.outcome, 'sent');
          // Before it, one transient attempt per dropped transfer (an e-mail may be cut again on
          // its retry), each followed by a wait of at least the back-off: a later campaign.
          e.attemptLog.slice(0, -1).forEach((cut, i) => {
            failures++;
            assert.equal(cut.outcome, 'transient');
            assert.equal(cut.replyCode, null, 'no reply: the connection went away');
            assert.match(cut.reply ?? '', /ECONNRESET|reset|closed unexpectedly/i, 'the attempt shows the dropped connection');
            const next = e.attemptLog[i + 1];
            const waited = Date.parse(next?.startedAt ?? '') - Date.parse(cut.finishedAt);
            const backoff = Math.min(BACKOFF.baseMs * 2 ** i, BACKOFF.capMs);
            assert.ok(waited >= backoff * 0.8, `e-mail ${id} retried ${waited} ms after its failure, sooner than the back-off`);
            if (failures === 1) t.diagnostic(`a dropped transfer reads: ${cut.reply}`);
          });
        }
        assert.equal(failures, CUTS, 'each dropped transfer is one transient attempt');
      } finally {
        await close();
      }
    });

    it('a relay that restarts: the sends it cut off are tried again as soon as the route works again, not a minute later', async (t) => {
      // The default back-off (a minute first); plain text so the proxy stands for the relay's port.
      sink = await startSmtpSink({ startTls: false, dataDelayMs: 300 });
      proxy = await startProxy('127.0.0.1', sink.port);
      db = await createTestDatabase('sqlite');
      postroom = await openTestPostroom(db);
      try {
        await postroom.settings.update(sinkSettings(proxy.port, { startTls: false, smtpMaxConnections: 2, campaignIntervalSeconds: 1 }), 'test');
        const ids: number[] = [];
        for (let i = 0; i < 6; i++) ids.push((await postroom.queue.handOver({ to: [`r${i}@example.org`], subject: `Restart ${i}`, text: 'x' }, 'test')).id);
        await postroom.dispatcher.start();
        // Cut while a message is at the relay, waiting for its answer.
        await until('a message is at the relay, unanswered', 10_000, () => sink.transactions > 0 && sink.messages.length === 0);
        await sleep(50);
        // The relay goes down mid-transfer (connections reset, new ones refused) for two seconds.
        proxy.refusing = true;
        proxy.dropAll();
        await sleep(2_000);
        proxy.refusing = false;
        const back = Date.now();
        await until('every e-mail is sent', 15_000, async () => (await postroom.queue.counts()).sent === 6).catch(async (err: Error) =>
          assert.fail(`${err.message}: ${JSON.stringify(await postroom.queue.counts())}`),
        );
        const tookMs = Date.now() - back;
        const cut = [];
        for (const id of ids) {
          const e = await postroom.queue.show(id);
          if (e.attemptLog.some((a) => a.outcome === 'transient')) cut.push(e);
        }
        assert.ok(cut.length >= 1, `at least one send was cut off by the restart: ${JSON.stringify(await Promise.all(ids.map(async (id) => (await postroom.queue.show(id)).attemptLog.map((a) => [a.outcome, a.reply]))))}`);
        for (const e of cut) {
          // Honest: the cut-off attempt stays (it may have arrived), then it went out again soon.
          assert.deepEqual(e.attemptLog.map((a) => a.outcome), ['transient', 'sent']);
          assert.match(e.attemptLog[0]?.reply ?? '', /reset|closed|ECONNRESET/i);
        }
        t.diagnostic(`${cut.length} cut-off send(s) went out again ${tookMs} ms after the relay was back (the back-off is a minute)`);
        assert.ok(tookMs < 10_000, `sent again ${tookMs} ms after the relay was back, not after the minute's back-off`);
      } finally {
        await close();
      }
    });

    it('by default schedules the retry about a minute later; an administrator retry sends it at once', async () => {
      try {
        const cutter = await open(1);
        const { id } = await postroom.queue.handOver({ to: ['late@example.org'], subject: 'Reminder', text: 'Due.\n'.repeat(40) }, 'test');
        await postroom.dispatcher.runCampaign();
        assert.equal(cutter.done, 1, 'the transfer was cut');
        const deferred = await postroom.queue.show(id);
        assert.equal(deferred.status, 'error', 'waiting for a retry, not failed');
        const failedAt = Date.parse(deferred.attemptLog[0]?.finishedAt ?? '');
        const delay = Date.parse(deferred.nextAttemptAt ?? '') - failedAt;
        assert.ok(delay >= 48_000 && delay <= 72_000, `next attempt ${delay} ms after the failure: 1 minute ± 20 %`);

        // Campaigns before that time leave it alone.
        await postroom.dispatcher.runCampaign();
        assert.equal((await postroom.queue.show(id)).status, 'error');
        assert.equal(sink.messages.length, 0);

        // Rather than wait a minute: "Retry" in the outbox makes it due now.
        await postroom.queue.retry(id);
        await postroom.dispatcher.runCampaign();
        const sent = await postroom.queue.show(id);
        assert.equal(sent.status, 'sent');
        assert.deepEqual(sent.attemptLog.map((a) => a.outcome), ['transient', 'sent']);
        assert.equal(sink.messages.length, 1);
      } finally {
        await close();
      }
    });
  });

  describe('PostgreSQL unreachable for a few seconds', { skip: SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, () => {
    it('keeps `postroom serve` running, and it delivers every e-mail once the database is back', async (t) => {
      // At most 150/s (3 connections × 20 ms per DATA): the outage comes while the run goes on.
      const COUNT = 300;
      const CONNECTIONS = 3;
      // The sends in flight and those whose outcome was being written when the database went away.
      const MAY_BE_SENT_AGAIN = CONNECTIONS * (1 + OUTCOMES_IN_WRITING_PER_SLOT);
      const sink = await startSmtpSink({ dataDelayMs: 20 });
      const db = await createTestDatabase('postgres');
      const target = new URL(db.databaseUrl ?? '');
      const proxy = await startProxy(target.hostname, Number(target.port || 5432));
      const postroom = await openTestPostroom(db); // the test's own view, straight to the database
      try {
        await postroom.settings.update(sinkSettings(sink.port, { smtpMaxConnections: CONNECTIONS }), 'test');
        const proxied = new URL(target.href);
        proxied.port = String(proxy.port);
        proxied.search = `?options=${encodeURIComponent(`-c search_path=${db.pgSchema}`)}`;
        // Started first, so that its start-up overlaps the hand-over.
        const { child, log } = serve({ POSTROOM_DATABASE_URL: proxied.href, POSTROOM_DATA_DIR: db.dataDir }, children);
        for (let i = 0; i < COUNT; i++) await postroom.queue.handOver({ to: [`p${i}@example.org`], subject: `Statement ${i}`, text: 'x' }, 'test');

        await until('the run is under way', 30_000, () => running(child, log) && sink.messages.length >= 40);
        // The database goes away under the running sends: every connection reset, new ones refused.
        proxy.refusing = true;
        proxy.dropAll();
        const atOutage = sink.messages.length;
        await sleep(3_000);
        assert.equal(child.exitCode, null, `postroom serve is still running during the outage:\n${log()}`);
        assert.ok(sink.messages.length < COUNT, 'the outage came before the end of the run');
        // A slot takes its next e-mail while the last one's outcome is written: those being
        // written when the database went away may still have been sent, and no others.
        assert.ok(sink.messages.length - atOutage <= MAY_BE_SENT_AGAIN, `no new send started once the database was known to be gone (${sink.messages.length - atOutage} sent after the outage)`);
        proxy.refusing = false;
        const back = Date.now();

        await until('every e-mail is sent', 25_000, async () => (await postroom.queue.counts()).sent === COUNT).catch(async (err: Error) =>
          assert.fail(`${err.message} (${JSON.stringify(await postroom.queue.counts())}); postroom serve said:\n${log()}`),
        );
        const recoveredMs = Date.now() - back;
        await sleep(500); // room for a late duplicate to show up, if any
        assert.equal(child.exitCode, null, 'it recovered without a restart');
        assert.match(log(), /cycle failed; the next one will try again/, 'the outage was noticed and logged');
        const duplicates = duplicatesOf(sink, COUNT);
        t.diagnostic(`${duplicates} duplicate(s); all sent ${recoveredMs} ms after the failure ended`);
        assert.ok(duplicates <= MAY_BE_SENT_AGAIN, `${duplicates} duplicates, at most the ${MAY_BE_SENT_AGAIN} sends in flight or being recorded`);
        await assertDuplicatesExplained(postroom, sink);
      } finally {
        await stopChildren(children);
        await postroom.close();
        await proxy.close();
        await sink.close();
        await db.cleanup();
      }
    });
  });

  describe('SQLite locked by another process for longer than the busy timeout', () => {
    it('keeps `postroom serve` running, and it delivers every e-mail once the lock is gone', async (t) => {
      // Slow enough (3 connections × 20 ms per DATA: at most 150/s) that the run is still going
      // when the lock is taken, however fast the rest of Postroom gets.
      const COUNT = 400;
      const CONNECTIONS = 3;
      // The sends in flight and those whose outcome was being written when the database went away.
      const MAY_BE_SENT_AGAIN = CONNECTIONS * (1 + OUTCOMES_IN_WRITING_PER_SLOT);
      const sink = await startSmtpSink({ dataDelayMs: 20 });
      const db = await createTestDatabase('sqlite');
      const postroom = await openTestPostroom(db);
      let locker: SQLite.Database | undefined;
      try {
        await postroom.settings.update(sinkSettings(sink.port, { smtpMaxConnections: CONNECTIONS }), 'test');
        const { child, log } = serve({ POSTROOM_DATABASE_URL: '', POSTROOM_DATA_DIR: db.dataDir }, children);
        for (let i = 0; i < COUNT; i++) await postroom.queue.handOver({ to: [`s${i}@example.org`], subject: `Notice ${i}`, text: 'x' }, 'test');

        await until('the run is under way', 30_000, () => running(child, log) && sink.messages.length >= 40);
        // Another process (a backup script, a forgotten sqlite3 shell) holds the write lock for
        // longer than Postroom's 5 s busy timeout: its writes fail with "database is locked".
        locker = new SQLite(path.join(db.dataDir, 'postroom.sqlite'));
        locker.exec('BEGIN IMMEDIATE');
        assert.ok(sink.messages.length < COUNT - 2 * CONNECTIONS, 'the lock is taken while sending goes on');
        await sleep(5_800);
        locker.exec('COMMIT');
        const back = Date.now();
        locker.close();
        locker = undefined;
        assert.equal(child.exitCode, null, `postroom serve is still running:\n${log()}`);

        await until('every e-mail is sent', 25_000, async () => (await postroom.queue.counts()).sent === COUNT).catch(async (err: Error) =>
          assert.fail(`${err.message} (${JSON.stringify(await postroom.queue.counts())}); postroom serve said:\n${log()}`),
        );
        const recoveredMs = Date.now() - back;
        await sleep(500); // room for a late duplicate to show up, if any
        assert.equal(child.exitCode, null, 'it recovered without a restart');
        assert.match(log(), /database is locked/, 'the lock was met and logged');
        const duplicates = duplicatesOf(sink, COUNT);
        t.diagnostic(`${duplicates} duplicate(s); all sent ${recoveredMs} ms after the failure ended`);
        assert.ok(duplicates <= MAY_BE_SENT_AGAIN, `${duplicates} duplicates, at most the ${MAY_BE_SENT_AGAIN} sends in flight or being recorded`);
        await assertDuplicatesExplained(postroom, sink);
      } finally {
        locker?.close();
        await stopChildren(children);
        await postroom.close();
        await sink.close();
        await db.cleanup();
      }
    });
  });
});
