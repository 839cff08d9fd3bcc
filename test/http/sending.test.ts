// What an administrator sees when mail does not move, and how a bad day is undone: the sending
// state with the server's reply and the setting to fix, per-recipient outcomes, bulk retry.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SinkOptions, type SmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'sending state test password';
const basic = { to: ['alice@example.org'], subject: 'Invoice 1001', text: 'Attached.' };
const FAST = { backoff: { baseMs: 50, capMs: 200 }, leaseMs: 5_000, route: { ca: testPki().caPem } };

interface SendingState {
  state: string;
  reason: string | null;
  since: string | null;
  waiting: number;
  resumesWhen: string | null;
  setting: string | null;
  cause: string | null;
}

describe('sending state, per-recipient outcomes and bulk retry', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let sink: SmtpSink;
  let admin: Client;

  async function setup(sinkOptions: SinkOptions = {}, settings: Record<string, unknown> = {}) {
    sink = await startSmtpSink(sinkOptions);
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: FAST });
    await postroom.settings.update(sinkSettings(sink.port, settings), 'test');
    await postroom.admins.setPassword(PASSWORD);
    server = await startHttp(postroom);
    admin = new Client(server.url);
    await admin.login(PASSWORD);
  }

  afterEach(async () => {
    await server?.close();
    await postroom?.close();
    await sink?.close();
    await db?.cleanup();
  });

  it('follows the enable switch at once, not at the next campaign (the banner lagged 10 to 25 s)', async () => {
    await setup({}, { campaignIntervalSeconds: 3600 });
    await postroom.dispatcher.start();
    const state = async () => (await admin.get<SendingState>('/api/v1/sending')).body;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await state()).state, 'sending');
    assert.equal((await admin.patch('/api/v1/settings/email', { enabled: false })).status, 200);
    const off = await state();
    assert.deepEqual([off.state, off.reason, off.setting, off.cause], ['stopped', 'sending is disabled', 'enabled', 'disabled'], 'switched off: said at once');
    await postroom.queue.handOver(basic, 'test');
    assert.equal((await admin.patch('/api/v1/settings/email', { enabled: true })).status, 200);
    assert.equal((await state()).state, 'sending', 'switched on: said at once, though the last campaign found it off');
    // And the save started a campaign: the e-mail goes now, not in an hour.
    await sink.waitFor(1, 5_000);
    assert.equal((await admin.patch('/api/v1/settings/email', { smtpHost: '' })).status, 200);
    const incomplete = await state();
    assert.deepEqual([incomplete.state, incomplete.setting, incomplete.cause], ['stopped', 'smtpHost', 'incomplete']);
    assert.match(incomplete.reason ?? '', /SMTP host is required/);
  });

  it('says why each e-mail waits: scheduled, sending switched off, a refused login with the reply, due now; nothing once sent', async () => {
    await setup({ auth: { user: 'relay', pass: 'right' } }, { smtpUser: 'relay', smtpPassword: 'right', campaignIntervalSeconds: 3600, enabled: false });
    await postroom.dispatcher.start();
    type Detail = { status: string; waitingReason: { kind: string; message: string; at: string | null; reason: string | null; setting: string | null } | null };
    const why = async (id: number) => (await admin.get<Detail>(`/api/v1/emails/${id}`)).body.waitingReason;
    const later = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, '.000Z');
    const scheduled = await postroom.queue.handOver({ ...basic, sendAt: later }, 'test');
    const now = await postroom.queue.handOver(basic, 'test');
    assert.deepEqual(await why(scheduled.id), { kind: 'scheduled', message: `scheduled for ${later}`, at: later, reason: null, setting: null });
    const off = await why(now.id);
    assert.deepEqual([off?.kind, off?.setting], ['sending-stopped', 'enabled']);
    assert.match(off?.message ?? '', /^sending is stopped: sending is disabled; it goes once "Process for sending emails enabled" is checked$/);

    // A password the relay refuses: the reply is in the reason.
    await admin.patch('/api/v1/settings/email', { enabled: true, smtpPassword: 'wrong' });
    let refused: Detail['waitingReason'] = null;
    for (let i = 0; i < 50 && refused?.kind !== 'sending-stopped'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      refused = await why(now.id);
    }
    assert.equal(refused?.kind, 'sending-stopped', JSON.stringify(refused));
    assert.match(refused?.reason ?? '', /535/);

    await admin.patch('/api/v1/settings/email', { smtpPassword: 'right' });
    await sink.waitFor(1, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await why(now.id), null, 'sent: no longer waiting');
    assert.equal((await why(scheduled.id))?.kind, 'scheduled', 'the scheduled one still waits for its time');
  });

  it('says sending is stopped, why (with the reply), since when, how many wait, and which setting fixes it', async () => {
    await setup({ auth: { user: 'relay', pass: 'right' } }, { smtpUser: 'relay', smtpPassword: 'wrong password' });
    for (let i = 0; i < 3; i++) await postroom.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    await postroom.dispatcher.start();
    let state: SendingState | undefined;
    for (let i = 0; i < 50 && state?.state !== 'stopped'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await admin.get<SendingState>('/api/v1/sending')).body;
    }
    assert.equal(state?.state, 'stopped', JSON.stringify(state));
    assert.match(state?.reason ?? '', /535/, 'the server reply is in the reason');
    assert.equal(state?.waiting, 3);
    assert.equal(state?.setting, 'smtpPassword');
    assert.ok(state?.since && Date.parse(state.since) <= Date.now(), `since is a time (${state?.since})`);
    assert.match(state?.resumesWhen ?? '', /password/);
    assert.equal((await postroom.queue.counts()).pending, 3, 'the e-mails wait untouched');

    await admin.patch('/api/v1/settings/email', { smtpPassword: 'right' });
    postroom.dispatcher.wake();
    await sink.waitFor(3);
    for (let i = 0; i < 50 && state?.state !== 'sending'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await admin.get<SendingState>('/api/v1/sending')).body;
    }
    assert.equal(state?.state, 'sending', 'the banner goes away once the password is right');
    const token = await postroom.tokens.create('erp', 'test');
    const asToken = await fetch(`${server.url}/api/v1/sending`, { headers: { authorization: `Bearer ${token.token}` } });
    assert.equal(asToken.status, 403, 'a host token does not read the route state');
  });

  it('retries a deferred recipient alone, later, and the e-mail shows it meanwhile', async () => {
    let bobDeferred = false;
    await setup({
      rcptReply: (address) => {
        if (address !== 'bob@example.org' || bobDeferred) return null;
        bobDeferred = true;
        return { code: 452, message: '4.2.2 Mailbox full, try again later' };
      },
    });
    const { id } = await postroom.queue.handOver({ ...basic, to: ['alice@example.org', 'bob@example.org'] }, 'test');
    await postroom.dispatcher.runCampaign();
    const waiting = (await admin.get<{ status: string; deferred: string | null; recipients: { recipient: string; state: string }[] }>(`/api/v1/emails/${id}`)).body;
    assert.equal(waiting.status, 'error', 'not sent while a recipient is deferred');
    assert.match(waiting.deferred ?? '', /^1 of 2 delivered, 1 deferred: .*452/);
    assert.deepEqual(
      waiting.recipients.map((r) => [r.recipient, r.state]),
      [['alice@example.org', 'accepted'], ['bob@example.org', 'deferred']],
    );
    for (let i = 0; i < 40 && (await postroom.queue.show(id)).status !== 'sent'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await postroom.dispatcher.runCampaign();
    }
    assert.equal((await postroom.queue.show(id)).status, 'sent');
    const copies = sink.messages.flatMap((m) => m.to);
    assert.deepEqual(copies.sort(), ['alice@example.org', 'bob@example.org'], 'each recipient got exactly one copy');
  });

  it('retries every failed e-mail since a time, after saying how many, and audits it', async () => {
    await setup({ dataReplies: [0, 1, 2].map(() => ({ code: 550, message: '5.7.1 Relay temporarily misconfigured' })) });
    for (let i = 0; i < 3; i++) await postroom.queue.handOver({ ...basic, subject: `bad day ${i}` }, 'test');
    const since = new Date(Date.now() - 60_000).toISOString();
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.counts()).failed, 3);

    const refused = await admin.get(`/api/v1/emails/retryable?status=sent`);
    assert.equal(refused.status, 400, 'a sent e-mail is not retried');
    const count = await admin.get<{ count: number }>(`/api/v1/emails/retryable?status=failed&since=${encodeURIComponent(since)}`);
    assert.equal(count.body.count, 3, JSON.stringify(count.body));
    const later = await admin.get<{ count: number }>(`/api/v1/emails/retryable?status=failed&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    assert.equal(later.body.count, 0, 'nothing failed after a time still to come');

    const done = await admin.post<{ retried: number }>('/api/v1/emails/retry', { status: 'failed', since });
    assert.equal(done.body.retried, 3, JSON.stringify(done.body));
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.counts()).sent, 3);
    const audit = await postroom.settings.audit(5);
    const entry = audit.find((a) => a.key === 'queue.retry');
    assert.deepEqual(entry?.newValue, { status: 'failed', since, retried: 3 }, 'the audit says who retried how many');
    assert.equal(entry?.actor, 'admin');
  });
});
