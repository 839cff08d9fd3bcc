// The Microsoft Graph route over real sockets against the HTTPS Graph stand-in: MIME arrives
// intact, large files go through upload sessions, throttling and errors, and the connection test.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { captureLog, createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp } from '../helpers/http.js';
import { MAX_UPLOAD_RANGE, startMicrosoftStandIn, type MicrosoftStandIn } from '../helpers/microsoft-standin.js';
import { testPki } from '../helpers/pki.js';

const FAST = { backoff: { baseMs: 50, capMs: 200 }, leaseMs: 10_000 };
const SECRET = 'Gr8~Graph.Secret-Value_abcdefghijklmnop012';
const POSTMASTER = 'postmaster@corp.example';
const PASSWORD = 'correct horse battery staple';
const basic = { to: ['alice@example.org'], subject: 'Order 7', text: 'Shipped.' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Microsoft Graph route', () => {
  let standIn: MicrosoftStandIn;
  let db: TestDatabase;
  let postroom: Postroom;
  const log = captureLog();
  const cleanups: (() => Promise<void>)[] = [];

  before(() => testPki());

  async function setup(settings: Record<string, unknown> = {}) {
    standIn = await startMicrosoftStandIn({ clientSecret: SECRET });
    cleanups.push(() => standIn.close());
    db = await createTestDatabase('sqlite');
    cleanups.push(() => db.cleanup());
    postroom = await openTestPostroom(db, { logger: log.logger, dispatcher: { ...FAST, route: { ca: testPki().caPem }, endpoints: standIn.endpoints } });
    cleanups.push(() => postroom.close());
    await postroom.settings.update(
      {
        enabled: true,
        useGraph: true,
        tenantId: standIn.app.tenantId,
        clientId: standIn.app.clientId,
        clientSecret: SECRET,
        postmaster: POSTMASTER,
        forcePostmaster: true,
        campaignIntervalSeconds: 1,
        ...settings,
      },
      'test',
    );
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  after(() => {
    assert.ok(!log.lines.join('\n').includes(SECRET), 'a log line holds the client secret');
  });

  it('delivers HTML and text, Reply-To, headers, an inline image and a file intact, with the same Message-ID', async () => {
    await setup();
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(4096)]);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3]);
    const handed = await postroom.queue.handOver(
      {
        sender: { email: 'bob@corp.example', name: 'Bob Martin' },
        to: [{ email: 'alice@example.org', name: 'Alice' }],
        cc: ['carol@example.org'],
        bcc: ['audit@corp.example'],
        subject: 'Invoice 42 – €1 250',
        text: 'Please find the invoice attached.',
        html: '<p><img src="cid:logo@corp"></p><p>Please find the invoice attached.</p>',
        headers: { 'X-Invoice': '42', 'X-Customer': 'C-7' },
        attachments: [
          { filename: 'invoice-42.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') },
          { filename: 'logo.png', contentType: 'image/png', contentBase64: png.toString('base64'), contentId: 'logo@corp' },
        ],
      },
      'test',
    );
    // The host may also set Reply-To itself: that one wins over the policy's.
    const explicit = await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example' }, headers: { 'Reply-To': 'billing@corp.example' } }, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state === 'ran' ? report.outcome.sent : -1, 2);

    // Sent side by side: find each by its Message-ID.
    const msg = standIn.sent.find((m) => m.parsed.messageId === handed.messageId);
    const second = standIn.sent.find((m) => m.parsed.messageId === explicit.messageId);
    assert.ok(msg && second, 'both arrived with the Message-ID Postroom stored');
    assert.equal(msg.via, 'sendMail');
    assert.equal(msg.mailbox, POSTMASTER, 'sent from the postmaster mailbox');
    assert.ok(standIn.graphRequests.filter((r) => r.path.endsWith('/sendMail')).every((r) => r.contentType === 'text/plain' && r.status === 202), 'every sendMail was MIME (text/plain) and accepted with 202');
    const p = msg.parsed;
    assert.deepEqual(p.from?.value, [{ address: POSTMASTER, name: 'Bob Martin' }]);
    assert.deepEqual(p.replyTo?.value, [{ address: 'bob@corp.example', name: 'Bob Martin' }]);
    const addresses = (a: typeof p.to) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address));
    assert.deepEqual(addresses(p.to), ['alice@example.org']);
    assert.deepEqual(addresses(p.cc), ['carol@example.org']);
    assert.deepEqual(addresses(p.bcc), ['audit@corp.example'], 'Bcc reaches Graph, which reads recipients from the MIME');
    assert.equal(p.subject, 'Invoice 42 – €1 250');
    assert.equal(p.text?.trim(), 'Please find the invoice attached.');
    assert.match(p.html || '', /<img src="cid:logo@corp">/);
    assert.equal(p.headers.get('x-invoice'), '42');
    assert.equal(p.headers.get('x-customer'), 'C-7');
    assert.deepEqual(p.attachments.find((a) => a.filename === 'invoice-42.pdf')?.content, pdf);
    const logo = p.attachments.find((a) => a.filename === 'logo.png');
    assert.equal(logo?.cid, 'logo@corp');
    assert.deepEqual(logo?.content, png);
    assert.deepEqual(second.parsed.replyTo?.value, [{ address: 'billing@corp.example', name: '' }]);

    const e = await postroom.queue.show(handed.id);
    assert.equal(e.status, 'sent');
    assert.equal(e.attemptLog[0]?.route, 'graph');
    assert.equal(e.lastReplyCode, 202);
    assert.match(e.lastReply ?? '', /accepted for delivery, not yet delivered/, "Graph's 202 is not a delivery");
    assert.equal(standIn.tokensIssued, 1);
    assert.equal(standIn.tokenRequests[0]?.form.scope, standIn.graphScope);
    assert.equal(standIn.unknownRequests.length, 0);
  });

  it('sends a 10 MB file through a draft and an upload session, in ranges, without the bearer token', async () => {
    await setup();
    const big = crypto.randomBytes(10 * 1024 * 1024);
    const note = Buffer.from('a small file stays in the MIME');
    const handed = await postroom.queue.handOver(
      {
        ...basic,
        attachments: [
          { filename: 'scan.bin', contentType: 'application/octet-stream', contentBase64: big.toString('base64') },
          { filename: 'note.txt', contentType: 'text/plain', contentBase64: note.toString('base64') },
        ],
      },
      'test',
    );
    await postroom.dispatcher.runCampaign();
    const e = await postroom.queue.show(handed.id);
    assert.equal(e.status, 'sent', e.lastReply ?? '');

    assert.deepEqual(
      standIn.graphRequests.map((r) => `${r.method} ${r.path.replace(/messages\/[^/]+/, 'messages/{id}')} ${r.status}`),
      [
        `POST /v1.0/users/${encodeURIComponent(POSTMASTER)}/messages 201`,
        `POST /v1.0/users/${encodeURIComponent(POSTMASTER)}/messages/{id}/attachments/createUploadSession 201`,
        `POST /v1.0/users/${encodeURIComponent(POSTMASTER)}/messages/{id}/send 202`,
      ],
      'draft, upload session, send: no sendMail with the big file',
    );
    const uploads = standIn.uploads;
    assert.ok(uploads.length >= 3, `${uploads.length} ranges`);
    assert.ok(uploads.every((u) => !u.authorization), 'no Authorization header on the upload URL');
    assert.ok(uploads.every((u) => u.end - u.start + 1 <= MAX_UPLOAD_RANGE && u.total === big.length), `every range is within ${MAX_UPLOAD_RANGE} bytes and names the full size`);
    assert.equal(uploads[0]?.start, 0);
    for (let i = 1; i < uploads.length; i++) assert.equal(uploads[i]?.start, (uploads[i - 1]?.end ?? -2) + 1, 'contiguous ranges');
    assert.equal(uploads.at(-1)?.end, big.length - 1);
    assert.deepEqual(uploads.map((u) => u.status), [...uploads.slice(1).map(() => 200), 201]);

    const [msg] = standIn.sent;
    assert.equal(msg?.via, 'draft');
    assert.equal(msg?.mailbox, POSTMASTER);
    assert.equal(msg?.parsed.messageId, handed.messageId);
    assert.equal(msg?.uploaded.length, 1);
    assert.equal(msg?.uploaded[0]?.name, 'scan.bin');
    assert.ok(msg?.uploaded[0]?.content.equals(big), 'the uploaded bytes are the file');
    assert.deepEqual(msg?.parsed.attachments.map((a) => a.filename), ['note.txt']);
    assert.equal(standIn.drafts.size, 0, 'the draft left the Drafts folder when sent');
  });

  it("moves files to upload sessions when together they take the request over Graph's 4 MB limit", async () => {
    await setup();
    // Each under 3 MB, so neither needs a session on its own; base64 of both is over 4 MB.
    const a = crypto.randomBytes(2 * 1024 * 1024);
    const b = crypto.randomBytes(2 * 1024 * 1024 + 100);
    const handed = await postroom.queue.handOver(
      {
        ...basic,
        attachments: [
          { filename: 'a.bin', contentType: 'application/octet-stream', contentBase64: a.toString('base64') },
          { filename: 'b.bin', contentType: 'application/octet-stream', contentBase64: b.toString('base64') },
        ],
      },
      'test',
    );
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(handed.id)).status, 'sent');
    const [msg] = standIn.sent;
    assert.equal(msg?.via, 'draft');
    assert.ok(msg && msg.mime.length * (4 / 3) < 4 * 1024 * 1024, 'the draft request fits in 4 MB');
    const files = new Map([...(msg?.parsed.attachments.map((f) => [f.filename ?? '', f.content] as const) ?? []), ...(msg?.uploaded.map((f) => [f.name, f.content] as const) ?? [])]);
    assert.ok(files.get('a.bin')?.equals(a) && files.get('b.bin')?.equals(b), 'both files arrive whole');
    assert.equal(msg?.uploaded[0]?.name, 'b.bin', 'the larger one went to an upload session');
  });

  it('makes at most 4 Graph calls at once per mailbox', async () => {
    await setup({ smtpMaxConnections: 10 });
    standIn.graphDelayMs = 100;
    for (let i = 0; i < 12; i++) await postroom.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal(standIn.sent.length, 12);
    assert.equal(standIn.maxConcurrentPerMailbox.get(POSTMASTER), 4);
  });

  it('keeps a throttled (429 Retry-After) e-mail due without losing it, while other senders go on', async () => {
    await setup({ forcePostmaster: false });
    standIn.failGraph({ status: 429, code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.', retryAfterSeconds: 2 }, 1, /ann%40corp\.example\/sendMail$/);
    const ann = await postroom.queue.handOver({ ...basic, sender: { email: 'ann@corp.example' } }, 'test');
    const bob = await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example' } }, 'test');
    const before = Date.now();
    await postroom.dispatcher.runCampaign();

    let e = await postroom.queue.show(ann.id);
    assert.equal(e.status, 'error');
    assert.equal(e.lastReplyCode, 429);
    assert.match(e.lastReply ?? '', /429 ApplicationThrottled: Application is over its MailboxConcurrency limit\. \(retry after 2 s\)/);
    const due = Date.parse(e.nextAttemptAt ?? '');
    assert.ok(due >= before + 2_000, `due at ${e.nextAttemptAt}, not before the Retry-After`);
    assert.equal((await postroom.queue.show(bob.id)).status, 'sent', 'another mailbox is not held up');

    await postroom.dispatcher.runCampaign();
    e = await postroom.queue.show(ann.id);
    assert.equal(e.attempts, 1, 'no new call inside the Retry-After');
    assert.equal(standIn.sent.length, 1);

    await sleep(due - Date.now() + 50);
    await postroom.dispatcher.runCampaign();
    e = await postroom.queue.show(ann.id);
    assert.equal(e.status, 'sent');
    assert.deepEqual(e.attemptLog.map((a) => [a.outcome, a.replyCode]), [['transient', 429], ['sent', 202]]);
    assert.deepEqual(standIn.sent.map((m) => m.mailbox).sort(), ['ann@corp.example', 'bob@corp.example']);
  });

  it('retries 503 (with Retry-After) and other 5xx answers, then sends', async () => {
    await setup();
    standIn.failGraph({ status: 503, code: 'ServiceNotAvailable', message: 'Service Unavailable', retryAfterSeconds: 1 });
    standIn.failGraph({ status: 500, code: 'ErrorInternalServerError', message: 'An internal server error occurred. The operation failed.' });
    const { id } = await postroom.queue.handOver(basic, 'test');
    const before = Date.now();
    await postroom.dispatcher.runCampaign();
    let e = await postroom.queue.show(id);
    assert.equal(e.status, 'error');
    assert.equal(e.lastReplyCode, 503);
    assert.ok(Date.parse(e.nextAttemptAt ?? '') >= before + 1_000, `next attempt honours Retry-After: ${e.nextAttemptAt}`);
    for (let i = 0; i < 30 && e.status !== 'sent'; i++) {
      await sleep(100);
      await postroom.dispatcher.runCampaign();
      e = await postroom.queue.show(id);
    }
    assert.equal(e.status, 'sent');
    assert.deepEqual(e.attemptLog.map((a) => [a.outcome, a.replyCode]), [['transient', 503], ['transient', 500], ['sent', 202]]);
    assert.equal(standIn.sent.length, 1, 'sent once');
  });

  it("fails a 400 at once, recording Graph's error code and message", async () => {
    await setup();
    const message = 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.';
    standIn.failGraph({ status: 400, code: 'ErrorSendAsDenied', message });
    const { id } = await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    const e = await postroom.queue.show(id);
    assert.equal(e.status, 'failed');
    assert.equal(e.lastReplyCode, 400);
    assert.ok(e.lastReply?.includes(`400 ErrorSendAsDenied: ${message}`), e.lastReply ?? '');
    assert.equal(e.attemptLog[0]?.outcome, 'permanent');
    await sleep(200);
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(id)).attemptLog.length, 1, 'never retried');
    assert.equal(standIn.sent.length, 0);
  });

  it('gets a fresh token once when Graph answers 401 to a cached one', async () => {
    await setup();
    await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    standIn.revokeAll();
    const { id } = await postroom.queue.handOver({ ...basic, subject: 'after revocation' }, 'test');
    await postroom.dispatcher.runCampaign();
    const e = await postroom.queue.show(id);
    assert.equal(e.status, 'sent');
    assert.equal(e.attempts, 1);
    assert.equal(standIn.tokensIssued, 2);
    assert.deepEqual(standIn.graphRequests.map((r) => r.status), [202, 401, 202]);
  });

  it('tests the connection: a token for Graph, or the AADSTS refusal and what it means', async () => {
    await setup();
    await postroom.admins.setPassword(PASSWORD);
    const server = await startHttp(postroom, { route: { ca: testPki().caPem }, endpoints: standIn.endpoints });
    cleanups.push(() => server.close());
    const admin = new Client(server.url);
    assert.equal((await admin.login(PASSWORD)).status, 200);
    type Result = { ok: boolean; route: string; steps: { step: string; ok: boolean; detail: string }[] };
    const test = () => admin.post<Result>('/api/v1/settings/email/test-connection', {});

    const good = await test();
    assert.equal(good.status, 200);
    assert.equal(good.body.ok, true);
    assert.equal(good.body.route, `Microsoft Graph ${standIn.origin}`);
    assert.match(good.body.steps[0]?.detail ?? '', new RegExp(`token issued by tenant ${standIn.app.tenantId} for ${standIn.graphScope.replace(/[.]/g, '\\.')}`));

    assert.equal((await admin.patch('/api/v1/settings/email', { clientSecret: 'Gr8~this-is-the-secret-ID' })).status, 200);
    const wrong = await test();
    assert.equal(wrong.body.ok, false);
    assert.equal(wrong.body.steps[0]?.step, 'token');
    assert.match(wrong.body.steps[0]?.detail ?? '', /the client secret is wrong: paste the secret's Value, not its Secret ID \(AADSTS7000215\)/);

    assert.equal((await admin.patch('/api/v1/settings/email', { clientSecret: SECRET })).status, 200);
    standIn.app.secretExpired = true;
    const expired = await test();
    assert.equal(expired.body.ok, false);
    assert.match(expired.body.steps[0]?.detail ?? '', /the client secret has expired: create a new one in Certificates & secrets and paste its Value here \(AADSTS7000222\)/);
    standIn.app.secretExpired = false;

    assert.equal((await admin.patch('/api/v1/settings/email', { tenantId: 'contoso-typo.example' })).status, 200);
    assert.match((await test()).body.steps[0]?.detail ?? '', /the tenant was not found.*\(AADSTS90002\)/);

    assert.equal((await admin.patch('/api/v1/settings/email', { tenantId: '' })).status, 200);
    const incomplete = await test();
    assert.equal(incomplete.body.ok, false);
    assert.match(incomplete.body.steps[0]?.detail ?? '', /fill in tenantId first/);

    for (const r of [good, wrong, expired]) assert.ok(!r.text.includes(SECRET), 'the secret is in an answer');
  });
});
