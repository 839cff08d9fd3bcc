// The sending process as a pipeline: a relay that never answers one message costs one slot, not
// the outbox; a live process keeps its leases so no other instance sends what it is sending; and
// maintenance fails closed retry windows while nothing is sent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestDatabase, openTestPostroom, sinkSettings } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { closeAfterEach, until } from '../helpers/waiting.js';

const basic = { to: ['alice@example.org'], subject: 'Order shipped', text: 'On its way.' };
const route = () => ({ ca: testPki().caPem });

describe('sending pipeline', () => {
  const { track } = closeAfterEach();

  it('goes on sending through the other connections while a relay never answers one message', async () => {
    const sink = track(await startSmtpSink({ hangOn: /Subject: hangs forever/ }));
    const db = track(await createTestDatabase('sqlite'));
    const postroom = track(await openTestPostroom(db, { dispatcher: { route: route(), shutdownGraceMs: 200 } }));
    await postroom.settings.update(sinkSettings(sink.port, { smtpMaxConnections: 3, campaignIntervalSeconds: 1 }), 'test');
    const hung = await postroom.queue.handOver({ ...basic, subject: 'hangs forever' }, 'test');
    await postroom.dispatcher.start();
    await until(() => sink.hung === 1, 10_000, 'the relay to take the message and go silent');

    const handedAt = Date.now();
    for (let i = 0; i < 20; i++) await postroom.queue.handOver({ ...basic, subject: `after the hang ${i}` }, 'test');
    // A campaign interval of 1 s and two free connections: seconds, not the hung send's timeout.
    await sink.waitFor(20, 12_000);
    assert.equal(sink.messages.length, 20, 'all twenty went through the two free connections');
    assert.ok(Date.now() - handedAt < 12_000, 'without waiting for the hung send');
    assert.equal((await postroom.queue.show(hung.id)).status, 'sending', 'the hung one still holds its slot, and only it');
    assert.ok(sink.maxConcurrentConnections <= 3, `at most smtpMaxConnections (${sink.maxConcurrentConnections})`);
  });

  it('keeps the lease of a long send alive, so a second instance never sends the same e-mail', async () => {
    const sink = track(await startSmtpSink({ dataDelayMs: 3_000 }));
    const db = track(await createTestDatabase('sqlite'));
    const opts = { dispatcher: { route: route(), leaseMs: 900 } };
    const a = track(await openTestPostroom(db, opts));
    const b = track(await openTestPostroom(db, opts));
    await a.settings.update(sinkSettings(sink.port, { campaignIntervalSeconds: 1 }), 'test');
    const { id } = await a.queue.handOver(basic, 'test');
    await a.dispatcher.start();
    await until(async () => (await a.queue.show(id)).status === 'sending', 5_000, 'the first instance to claim it');
    // Three lease lengths pass while the transfer runs; the other instance keeps looking.
    for (let i = 0; i < 6; i++) {
      const report = await b.dispatcher.runCampaign();
      assert.equal(report.outcome.state === 'ran' && report.outcome.claimed, 0, `the second instance took nothing (round ${i})`);
      await new Promise((r) => setTimeout(r, 400));
    }
    await until(async () => (await a.queue.show(id)).status === 'sent', 10_000, 'the send to finish');
    assert.equal(sink.messages.length, 1, 'sent once');
  });

  it('fails an e-mail whose retry window has closed while sending is off', async () => {
    const sink = track(await startSmtpSink({ dataReplies: [{ code: 451, message: '4.3.0 Try again later' }] }));
    const db = track(await createTestDatabase('sqlite'));
    const postroom = track(await openTestPostroom(db, { dispatcher: { route: route(), backoff: { baseMs: 3_600_000, capMs: 3_600_000 } } }));
    await postroom.settings.update(sinkSettings(sink.port, { maxRetrySeconds: 3, campaignIntervalSeconds: 1 }), 'test');
    const { id } = await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(id)).status, 'error', 'a 451: waits for a retry');

    // Nothing is sent from now on; only the maintenance timer can close the window.
    await postroom.settings.update({ enabled: false }, 'test');
    await postroom.dispatcher.start();
    await until(async () => (await postroom.queue.show(id)).status === 'failed', 8_000, 'the retry window to be closed by maintenance');
    const e = await postroom.queue.show(id);
    assert.match(e.lastReply ?? '', /^retry window expired: .*451/, 'says why, with the last reply');
    assert.equal(e.attempts, 1, 'no attempt was made meanwhile');
  });
});
