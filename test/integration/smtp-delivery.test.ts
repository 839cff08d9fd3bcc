// The sending process against a real SMTP server over a real socket: STARTTLS with a CA made
// for the test, AUTH, the sender policy, retries, permanent failures, partial delivery.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, sinkSettings, captureLog, type TestDatabase } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const FAST = { backoff: { baseMs: 50, capMs: 200 }, leaseMs: 5_000 };

describe('SMTP delivery', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let sink: SmtpSink;
  const log = captureLog();

  before(() => testPki());

  async function setup(sinkOptions: Parameters<typeof startSmtpSink>[0] = {}, settings: Record<string, unknown> = {}) {
    sink = await startSmtpSink(sinkOptions);
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { logger: log.logger, dispatcher: { ...FAST, route: { ca: testPki().caPem } } });
    await postroom.settings.update(sinkSettings(sink.port, settings), 'test');
  }

  afterEach(async () => {
    await postroom?.close();
    await sink?.close();
    await db?.cleanup();
  });

  after(() => {
    assert.ok(!log.lines.join('\n').includes('s3cret-pass'), 'a log line holds the SMTP password');
  });

  const basic = { to: ['alice@example.org'], subject: 'Invoice 42', text: 'Please find it attached.' };

  it('sends from the postmaster with the user as Reply-To when the postmaster is forced', async () => {
    await setup({ auth: { user: 'relay', pass: 's3cret-pass' } }, { smtpUser: 'relay', smtpPassword: 's3cret-pass' });
    const { id } = await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example', name: 'Bob Martin' } }, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'ran');
    const [msg] = await sink.waitFor(1);
    assert.ok(msg, 'the SMTP sink received the e-mail');
    assert.equal(msg.secure, true, 'the message went over TLS');
    assert.equal(msg.user, 'relay');
    assert.equal(msg.from, 'postmaster@example.com');
    assert.deepEqual(msg.parsed.from?.value, [{ address: 'postmaster@example.com', name: 'Bob Martin' }]);
    assert.deepEqual(msg.parsed.replyTo?.value, [{ address: 'bob@corp.example', name: 'Bob Martin' }]);
    const stored = await postroom.queue.show(id);
    assert.equal(stored.status, 'sent');
    assert.equal(msg.parsed.messageId, stored.messageId);
    assert.equal(stored.attemptLog.length, 1);
    assert.equal(stored.attemptLog[0]?.outcome, 'sent');
    assert.match(stored.attemptLog[0]?.reply ?? '', /^250 /);
  });

  it('sends from the user when the postmaster is not forced', async () => {
    await setup({}, { forcePostmaster: false });
    await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example', name: 'Bob' } }, 'test');
    await postroom.dispatcher.runCampaign();
    const [msg] = await sink.waitFor(1);
    assert.equal(msg?.from, 'bob@corp.example');
    assert.deepEqual(msg?.parsed.from?.value, [{ address: 'bob@corp.example', name: 'Bob' }]);
    assert.equal(msg?.parsed.replyTo, undefined);
  });

  it('refuses to send in plain text when STARTTLS is required but not offered', async () => {
    await setup({ startTls: false });
    const { id } = await postroom.queue.handOver(basic, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing');
    assert.match(report.outcome.state === 'route-failing' ? report.outcome.message : '', /STARTTLS not offered by localhost:\d+/);
    assert.equal(sink.messages.length, 0);
    assert.equal(sink.plaintextData, 0, 'no DATA in plain text');
    const e = await postroom.queue.show(id);
    assert.equal(e.status, 'pending', 'the e-mail waits for the route to be fixed');
    assert.equal(e.attemptLog.length, 0);
    // Fixed on the server side: the next campaign checks the route again and sends.
    await sink.close();
    sink = await startSmtpSink();
    await postroom.settings.update({ smtpPort: sink.port }, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(id)).status, 'sent');
    assert.equal(sink.messages[0]?.secure, true);
  });

  it('uses implicit TLS on port 465', async () => {
    await setup({ secure: true, port: 465 }, { smtpPort: 465 });
    await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    const [msg] = await sink.waitFor(1);
    assert.equal(msg?.secure, true);
  });

  it('retries a 451 reply; a 421 (the server closing for everyone) costs the e-mail nothing', async () => {
    await setup({ dataReplies: [{ code: 451, message: '4.3.0 Try again later' }, { code: 421, message: '4.4.2 Closing' }] });
    const { id } = await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    let e = await postroom.queue.show(id);
    assert.equal(e.status, 'error');
    assert.equal(e.lastReplyCode, 451);
    assert.ok(e.nextAttemptAt, 'an e-mail in error has a next attempt');
    for (let i = 0; i < 20 && e.status !== 'sent'; i++) {
      await new Promise((r) => setTimeout(r, 150));
      await postroom.dispatcher.runCampaign();
      e = await postroom.queue.show(id);
    }
    assert.equal(e.status, 'sent');
    // The 421 is a route failure: the e-mail went back untouched, the route was checked again at
    // once, and sending went on without waiting for the next cycle.
    assert.deepEqual(e.attemptLog.map((a) => [a.outcome, a.replyCode]), [['transient', 451], ['sent', 250]]);
    assert.equal(sink.messages.length, 1);
  });

  it('fails a 550 at once, without retrying', async () => {
    await setup({ dataReplies: [{ code: 550, message: '5.7.1 Message rejected as spam' }] });
    const { id } = await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    const e = await postroom.queue.show(id);
    assert.equal(e.status, 'failed');
    assert.equal(e.lastReplyCode, 550);
    assert.match(e.lastReply ?? '', /spam/);
    await new Promise((r) => setTimeout(r, 300));
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(id)).attemptLog.length, 1);
  });

  it('fails the e-mail with "retry window expired" once the window closes', async () => {
    const always = Array.from({ length: 50 }, () => ({ code: 451, message: '4.7.1 Greylisted' }));
    await setup({ dataReplies: always }, { maxRetrySeconds: 2, campaignIntervalSeconds: 1 });
    const { id } = await postroom.queue.handOver(basic, 'test');
    const started = Date.now();
    let e = await postroom.queue.show(id);
    while (e.status !== 'failed' && Date.now() - started < 6000) {
      await postroom.dispatcher.runCampaign();
      e = await postroom.queue.show(id);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(e.status, 'failed');
    assert.match(e.lastReply ?? '', /retry window expired/);
    assert.ok(e.attemptLog.length >= 2, 'it was retried inside the window');
    const lastTry = Date.parse(e.attemptLog.at(-1)?.startedAt ?? '');
    assert.ok(lastTry - Date.parse(e.firstFailureAt ?? '') <= 2000, 'no attempt after the window');
  });

  it('delivers to the accepted recipients and records the refused ones', async () => {
    await setup({ rcptReply: (a) => (a === 'gone@example.org' ? { code: 550, message: '5.1.1 User unknown' } : null) });
    const { id } = await postroom.queue.handOver({ ...basic, to: ['alice@example.org', 'gone@example.org'], cc: ['alice@example.org', 'carol@example.org'] }, 'test');
    await postroom.dispatcher.runCampaign();
    const [msg] = await sink.waitFor(1);
    assert.deepEqual(msg?.to.sort(), ['alice@example.org', 'carol@example.org'], 'alice once, despite To and Cc');
    const e = await postroom.queue.show(id);
    assert.equal(e.status, 'sent');
    assert.equal(e.rejectedRecipients.length, 1);
    assert.equal(e.rejectedRecipients[0]?.recipient, 'gone@example.org');
    assert.equal(e.rejectedRecipients[0]?.code, 550);
    assert.match(e.rejectedRecipients[0]?.reply ?? '', /User unknown/);
  });

  it('holds every e-mail back while the credentials are refused, and says why', async () => {
    await setup({ auth: { user: 'relay', pass: 'right' } }, { smtpUser: 'relay', smtpPassword: 's3cret-pass' });
    const a = await postroom.queue.handOver(basic, 'test');
    const b = await postroom.queue.handOver({ ...basic, subject: 'two' }, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing');
    const message = report.outcome.state === 'route-failing' ? report.outcome.message : '';
    assert.match(message, /authentication as \S+ with localhost:\d+ failed: 535 5\.7\.8/);
    assert.ok(!message.includes('s3cret-pass'), 'the password is not in the outcome');
    assert.equal((await postroom.queue.show(a.id)).status, 'pending');
    assert.equal((await postroom.queue.show(b.id)).status, 'pending');
    assert.equal(sink.messages.length, 0);
    await postroom.settings.update({ smtpPassword: 'right' }, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal(sink.messages.length, 2);
  });

  it('never sends without signing in when a user is set and the server offers no AUTH; the e-mails wait', async () => {
    await setup({ noAuth: true }, { smtpUser: 'relay', smtpPassword: 's3cret-pass' });
    const { id } = await postroom.queue.handOver(basic, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing');
    assert.match(report.outcome.state === 'route-failing' ? report.outcome.message : '', /offers no AUTH on this connection, so nothing was sent/);
    const e = await postroom.queue.show(id);
    assert.deepEqual([e.status, e.attemptLog.length], ['pending', 0]);
    assert.equal(sink.transactions, 0, 'nothing went out unauthenticated');
  });

  it('a postmaster the server refuses as sender stops the route; the e-mails wait', async () => {
    await setup({ mailFromReply: (a) => (a === 'postmaster@example.com' ? { code: 550, message: '5.7.60 SMTP; Client does not have permissions to send as this sender' } : null) });
    const { id } = await postroom.queue.handOver(basic, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing');
    assert.match(report.outcome.state === 'route-failing' ? report.outcome.message : '', /refuses the postmaster postmaster@example\.com as sender: 550 5\.7\.60/);
    const e = await postroom.queue.show(id);
    assert.deepEqual([e.status, e.attemptLog.length], ['pending', 0]);
  });

  it('421 at connect stops the route, charged to no e-mail', async () => {
    await setup({ connectReply: { code: 421, message: '4.3.2 Service not available' } });
    const { id } = await postroom.queue.handOver(basic, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing');
    assert.match(report.outcome.state === 'route-failing' ? report.outcome.message : '', /refused the connection: 421 4\.3\.2 Service not available/);
    assert.deepEqual((await postroom.queue.show(id)).attemptLog, []);
  });

  it('refuses a server whose certificate it cannot verify', async () => {
    sink = await startSmtpSink();
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: FAST }); // the test CA is not trusted here
    await postroom.settings.update(sinkSettings(sink.port), 'test');
    const { id } = await postroom.queue.handOver(basic, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing');
    assert.match(report.outcome.state === 'route-failing' ? report.outcome.message : '', /certificate is not trusted.*smtpCaCertificate/);
    assert.equal((await postroom.queue.show(id)).status, 'pending');
    assert.equal(sink.messages.length, 0);
  });

  it('sends nothing while disabled, and keeps accepting e-mails', async () => {
    await setup({}, { enabled: false });
    const { id } = await postroom.queue.handOver(basic, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'disabled');
    assert.equal((await postroom.queue.show(id)).status, 'pending');
    await postroom.settings.update({ enabled: true }, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(id)).status, 'sent');
  });

  it('stops a long campaign within a batch when sending is disabled', async () => {
    sink = await startSmtpSink({ dataDelayMs: 20 });
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { ...FAST, batchSize: 5, route: { ca: testPki().caPem } } });
    await postroom.settings.update(sinkSettings(sink.port, { smtpMaxConnections: 1 }), 'test');
    for (let i = 0; i < 30; i++) await postroom.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    const campaign = postroom.dispatcher.runCampaign();
    await sink.waitFor(1);
    await postroom.settings.update({ enabled: false }, 'test');
    const report = await campaign;
    const sent = report.outcome.state === 'ran' ? report.outcome.sent : -1;
    assert.ok(sent >= 1 && sent <= 10, `sent ${sent}: at most the batch in flight and the next`);
    assert.equal((await postroom.queue.counts()).pending, 30 - sent);
  });

  it('sends nothing while the configuration is incomplete', async () => {
    await setup({}, { postmaster: '' });
    const { id } = await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example' } }, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'incomplete');
    assert.equal((await postroom.queue.show(id)).status, 'pending');
  });

  it('carries attachments and inline images intact', async () => {
    await setup();
    const pdf = Buffer.from('%PDF-1.4 fake but binary \u0000\u00ff\u00fe', 'latin1');
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]);
    await postroom.queue.handOver(
      {
        ...basic,
        html: '<p>Logo: <img src="cid:logo@corp"></p>',
        attachments: [
          { filename: 'invoice-42.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') },
          { filename: 'logo.png', contentType: 'image/png', contentBase64: png.toString('base64'), contentId: 'logo@corp' },
        ],
        headers: { 'X-Invoice': '42' },
      },
      'test',
    );
    await postroom.dispatcher.runCampaign();
    const [msg] = await sink.waitFor(1);
    const files = msg?.parsed.attachments ?? [];
    assert.equal(files.length, 2);
    assert.deepEqual(files.find((f) => f.filename === 'invoice-42.pdf')?.content, pdf);
    assert.equal(files.find((f) => f.filename === 'logo.png')?.cid, 'logo@corp');
    assert.equal(msg?.parsed.headers.get('x-invoice'), '42');
    assert.equal(msg?.parsed.text?.trim(), 'Please find it attached.');
  });

  it('keeps at most smtpMaxConnections connections open', async () => {
    await setup({ dataDelayMs: 50 }, { smtpMaxConnections: 2 });
    for (let i = 0; i < 12; i++) await postroom.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    await postroom.dispatcher.runCampaign();
    await sink.waitFor(12);
    assert.ok(sink.maxConcurrentConnections <= 2, `saw ${sink.maxConcurrentConnections} connections`);
    assert.equal(sink.maxConcurrentConnections, 2, 'and it does use the two');
  });

  it('respects maxMessagesPerMinute across campaigns', async () => {
    await setup({}, { maxMessagesPerMinute: 3 });
    for (let i = 0; i < 7; i++) await postroom.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    await postroom.dispatcher.runCampaign();
    await postroom.dispatcher.runCampaign();
    assert.equal(sink.messages.length, 3);
    assert.equal((await postroom.queue.counts()).pending, 4);
  });
});
