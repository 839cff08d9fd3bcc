// The sending process's life: start-up hold, a killed process's e-mail sent after its lease
// expires, graceful stop, and two dispatchers on one PostgreSQL queue delivering each e-mail once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { TEST_MASTER_KEY, SKIP_POSTGRES, createTestDatabase, openTestPostroom, sinkSettings } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { closeAfterEach, until } from '../helpers/waiting.js';
import { Client, startHttp } from '../helpers/http.js';

const basic = { to: ['alice@example.org'], subject: 'Order shipped', text: 'On its way.' };
const route = () => ({ ca: testPki().caPem });

describe('sending process lifecycle', () => {
  const { track, cleanups } = closeAfterEach();

  it('puts e-mails pending at start-up on hold when asked, and sends them once released', async () => {
    const sink = track(await startSmtpSink());
    const db = track(await createTestDatabase('sqlite'));
    const first = await openTestPostroom(db, { dispatcher: { route: route() } });
    await first.settings.update(sinkSettings(sink.port, { skipPendingAtStartup: true }), 'test');
    const { id } = await first.queue.handOver(basic, 'test');
    await first.close();

    const postroom = track(await openTestPostroom(db, { dispatcher: { route: route() } }));
    await postroom.dispatcher.start();
    const later = await postroom.queue.handOver({ ...basic, subject: 'after start' }, 'test');
    postroom.dispatcher.wake();
    await sink.waitFor(1);
    assert.equal((await postroom.queue.show(id)).status, 'held');
    // The relay has it; its outcome is written a moment later (outcomes share a write).
    await until(async () => (await postroom.queue.show(later.id)).status === 'sent', 5000, 'e-mails handed over after start-up are sent');
    assert.equal(await postroom.queue.releaseHeld(), 1);
    postroom.dispatcher.wake();
    await sink.waitFor(2);
    await until(async () => (await postroom.queue.show(id)).status === 'sent', 5000, 'the released e-mail');
  });

  it('sends an e-mail handed over by HTTP at once with wakeOnHandOver, and waits for the interval without it', async () => {
    const sink = track(await startSmtpSink());
    const db = track(await createTestDatabase('sqlite'));
    const postroom = track(await openTestPostroom(db, { dispatcher: { route: route() } }));
    await postroom.settings.update(sinkSettings(sink.port, { campaignIntervalSeconds: 3600 }), 'test');
    await postroom.admins.setPassword('wake on hand-over password');
    const server = track(await startHttp(postroom));
    const admin = new Client(server.url);
    await admin.login('wake on hand-over password');
    await postroom.dispatcher.start();
    await until(async () => postroom.dispatcher.lastCampaign !== null, 5000, 'the first campaign');

    const waiting = await admin.request<{ id: number }>('POST', '/api/v1/emails', basic);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await postroom.queue.show(waiting.body.id)).status, 'pending', 'the reference behaviour: the next campaign, an hour away');

    await admin.request('PATCH', '/api/v1/settings/email', { wakeOnHandOver: true });
    // The setting is read at the next campaign, like every other: a retry starts one.
    postroom.dispatcher.wake();
    await sink.waitFor(1);
    const sentAt = Date.now();
    await admin.request('POST', '/api/v1/emails', { ...basic, subject: 'at once' });
    await sink.waitFor(2);
    assert.ok(Date.now() - sentAt < 15_000, 'delivered within seconds of the hand-over, with an hour-long interval');
  });

  it('starts again after a stop, as an embedding application may ask', async () => {
    const sink = track(await startSmtpSink());
    const db = track(await createTestDatabase('sqlite'));
    const postroom = track(await openTestPostroom(db, { dispatcher: { route: route() } }));
    await postroom.settings.update(sinkSettings(sink.port), 'test');
    await postroom.dispatcher.start();
    await postroom.dispatcher.stop();
    await postroom.dispatcher.start();
    await postroom.queue.handOver(basic, 'test');
    postroom.dispatcher.wake();
    await sink.waitFor(1);
    const live = (await postroom.dispatcher.status.list(Date.now(), 60_000)).filter((i) => i.alive);
    assert.equal(live.length, 1, 'the status board shows it running again');
  });

  it('does not hold the pending e-mails of other running instances', async () => {
    const sink = track(await startSmtpSink());
    const db = track(await createTestDatabase('sqlite'));
    const running = track(await openTestPostroom(db, { dispatcher: { route: route() } }));
    await running.settings.update(sinkSettings(sink.port, { skipPendingAtStartup: true, enabled: false }), 'test');
    await running.dispatcher.start();
    const { id } = await running.queue.handOver(basic, 'test');
    const another = track(await openTestPostroom(db, { dispatcher: { route: route() } }));
    await another.dispatcher.start();
    assert.equal((await another.queue.show(id)).status, 'pending');
  });

  it('reports, for other processes to read, why mail is not moving', async () => {
    const sink = track(await startSmtpSink({ auth: { user: 'relay', pass: 'right' } }));
    const db = track(await createTestDatabase('sqlite'));
    const postroom = track(await openTestPostroom(db, { dispatcher: { route: route() } }));
    await postroom.settings.update(sinkSettings(sink.port, { smtpUser: 'relay', smtpPassword: 'wrong' }), 'test');
    await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.start();
    const reader = track(await openTestPostroom(db));
    await until(async () => (await reader.dispatcher.status.list(Date.now(), 60_000))[0]?.lastCampaign !== null, 5000, 'a campaign report');
    const [instance] = await reader.dispatcher.status.list(Date.now(), 60_000);
    assert.equal(instance?.alive, true);
    assert.equal(instance?.lastCampaign?.outcome.state, 'route-failing');
    assert.match(JSON.stringify(instance?.lastCampaign), /535/);
    await postroom.dispatcher.stop();
    const [after] = await reader.dispatcher.status.list(Date.now(), 60_000);
    assert.equal(after?.alive, false, 'a stopped process is not reported alive');
  });

  it('sends again, after its lease expires, an e-mail whose process was killed mid-send', async () => {
    const stuck = track(await startSmtpSink({ dataDelayMs: 60_000 }));
    const db = track(await createTestDatabase('sqlite'));
    const setup = await openTestPostroom(db);
    await setup.settings.update(sinkSettings(stuck.port), 'test');
    const { id } = await setup.queue.handOver(basic, 'test');
    await setup.close();

    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/worker.ts', db.dataDir, '1500'], {
      env: { ...process.env, TEST_MASTER_KEY: TEST_MASTER_KEY.toString('hex'), NODE_EXTRA_CA_CERTS: testPki().caFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(async () => void child.kill('SIGKILL'));
    const postroom = track(await openTestPostroom(db, { dispatcher: { route: route(), leaseMs: 1500 } }));
    await until(async () => (await postroom.queue.show(id)).status === 'sending', 40_000, 'the child to claim the e-mail');
    await new Promise((r) => setTimeout(r, 300)); // the DATA is in flight at the stuck server
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const sink = track(await startSmtpSink());
    await postroom.settings.update({ smtpPort: sink.port }, 'test');
    let report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state === 'ran' && report.outcome.claimed, 0, 'not taken while the lease runs');
    await new Promise((r) => setTimeout(r, 1600));
    report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state === 'ran' && report.outcome.sent, 1);
    assert.equal(sink.messages.length, 1);
    const e = await postroom.queue.show(id);
    assert.equal(e.status, 'sent');
    assert.deepEqual(e.attemptLog.map((a) => a.outcome), ['interrupted', 'sent'], 'the attempts show the interrupted send');
    assert.equal(sink.messages[0]?.parsed.messageId, e.messageId, 'the same Message-ID, so a duplicate can be recognised');
  });

  it('on stop, gives back the e-mails it claimed but had not started', async () => {
    const sink = track(await startSmtpSink({ dataDelayMs: 300 }));
    const db = track(await createTestDatabase('sqlite'));
    const postroom = await openTestPostroom(db, { dispatcher: { route: route(), batchSize: 10 } });
    await postroom.settings.update(sinkSettings(sink.port, { smtpMaxConnections: 1 }), 'test');
    for (let i = 0; i < 5; i++) await postroom.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    await postroom.dispatcher.start();
    await until(async () => (await postroom.queue.counts()).sending === 5, 5000, 'the claim');
    await postroom.close();
    const counts = await (async () => {
      const again = track(await openTestPostroom(db));
      return again.queue.counts();
    })();
    assert.equal(counts.sending, 0, 'nothing is left claimed');
    assert.equal(counts.sent + counts.pending, 5);
    assert.ok(counts.sent >= 1, 'the send in flight was finished');
    assert.equal(sink.messages.length, counts.sent);
  });

  it('two dispatchers on one PostgreSQL queue deliver 500 e-mails, none twice', { skip: SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, async () => {
    const sink = track(await startSmtpSink());
    const db = track(await createTestDatabase('postgres'));
    const opts = { dispatcher: { route: route(), batchSize: 50 } };
    const a: Postroom = track(await openTestPostroom(db, opts));
    const b: Postroom = track(await openTestPostroom(db, opts));
    await a.settings.update(sinkSettings(sink.port, { smtpMaxConnections: 4 }), 'test');
    for (let i = 0; i < 500; i++) await a.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    const sent = { a: 0, b: 0 };
    for (let round = 0; round < 20 && sent.a + sent.b < 500; round++) {
      const [ra, rb] = await Promise.all([a.dispatcher.runCampaign(), b.dispatcher.runCampaign()]);
      if (ra.outcome.state === 'ran') sent.a += ra.outcome.sent;
      if (rb.outcome.state === 'ran') sent.b += rb.outcome.sent;
    }
    await sink.waitFor(500);
    const ids = sink.messages.map((m) => m.parsed.messageId);
    assert.equal(new Set(ids).size, 500, 'every e-mail once');
    assert.equal(sink.messages.length, 500, 'none twice');
    assert.equal((await a.queue.counts()).sent, 500);
    assert.ok(sent.a > 0 && sent.b > 0, `both dispatchers took part (a ${sent.a}, b ${sent.b})`);
  });
});
