// The Microsoft Graph route over real sockets against the HTTPS Graph stand-in: MIME arrives
// intact, large files go through upload sessions, throttling and errors, and the connection test.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { captureLog, createTestDatabase, openTestPostroom, SKIP_POSTGRES, type TestDatabase } from '../helpers/backends.js';
import { OutlookDrafts } from '../../src/outlook/index.js';
import { Client, startHttp } from '../helpers/http.js';
import { MAX_UPLOAD_RANGE, makeClientCertificate, startMicrosoftStandIn, type MicrosoftStandIn } from '../helpers/microsoft-standin.js';
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

  const file = (name: string, bytes: number) => {
    const content = crypto.randomBytes(bytes);
    return { content, input: { filename: name, contentType: 'application/octet-stream', contentBase64: content.toString('base64') } };
  };
  /** Every file of a sent message, wherever it went: MIME, POST …/attachments, upload session. */
  const filesOf = (msg: (typeof standIn.sent)[number]) =>
    new Map<string, Buffer>([
      ...msg.parsed.attachments.map((f) => [f.filename ?? '', f.content] as const),
      ...msg.posted.map((f) => [f.name, f.content] as const),
      ...msg.uploaded.map((f) => [f.name, f.content] as const),
    ]);

  it('sends an 8 MB file through an upload session and five 1 MB files without one (MIME and POST …/attachments)', async () => {
    await setup();
    const big = file('drawing.dwg', 8 * 1024 * 1024);
    const small = [1, 2, 3, 4, 5].map((i) => file(`page-${i}.pdf`, 1024 * 1024));
    const handed = await postroom.queue.handOver({ ...basic, attachments: [big.input, ...small.map((f) => f.input)] }, 'test');
    await postroom.dispatcher.runCampaign();
    const e = await postroom.queue.show(handed.id);
    assert.equal(e.status, 'sent', e.lastReply ?? '');
    assert.deepEqual(standIn.sessionsRefused, [], 'Graph refused no upload session');
    const sessions = standIn.graphRequests.filter((r) => r.path.endsWith('/createUploadSession'));
    assert.equal(sessions.length, 1, 'one upload session: the 8 MB file');
    const [msg] = standIn.sent;
    assert.ok(msg, 'sent');
    assert.deepEqual(msg.uploaded.map((f) => f.name), ['drawing.dwg']);
    assert.ok(msg.posted.length > 0, 'the 1 MB files that did not fit in the 4 MB draft were POSTed');
    assert.equal(msg.posted.length + msg.parsed.attachments.length, 5, 'the five 1 MB files went by MIME or POST');
    const files = filesOf(msg);
    assert.ok(files.get('drawing.dwg')?.equals(big.content), 'the 8 MB file arrives whole');
    for (const f of small) assert.ok(files.get(f.input.filename)?.equals(f.content), `${f.input.filename} arrives whole`);
    assert.ok(standIn.graphRequests.every((r) => r.status < 400), standIn.graphRequests.map((r) => `${r.method} ${r.path} ${r.status}`).join('\n'));
  });

  it('POSTs a 2.9 MB file to the draft and puts a 3.1 MB file in an upload session', async () => {
    await setup();
    const under = file('under.bin', 2_900_000);
    const over = file('over.bin', 3_100_000);
    const handed = await postroom.queue.handOver({ ...basic, attachments: [under.input, over.input] }, 'test');
    const alone = await postroom.queue.handOver({ ...basic, subject: 'only 2.9 MB', attachments: [under.input] }, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(handed.id)).status, 'sent');
    assert.equal((await postroom.queue.show(alone.id)).status, 'sent');
    assert.deepEqual(standIn.sessionsRefused, []);
    const both = standIn.sent.find((m) => m.parsed.messageId === handed.messageId);
    const single = standIn.sent.find((m) => m.parsed.messageId === alone.messageId);
    assert.deepEqual(both?.uploaded.map((f) => f.name), ['over.bin'], '3.1 MB: upload session');
    assert.deepEqual(both?.posted.map((f) => f.name), ['under.bin'], '2.9 MB: POST …/attachments (its MIME would pass 4 MB)');
    assert.deepEqual(single?.uploaded, [], 'no upload session for a 2.9 MB file');
    assert.deepEqual(single?.posted.map((f) => f.name), ['under.bin']);
    assert.ok(filesOf(both as (typeof standIn.sent)[number]).get('over.bin')?.equals(over.content), 'the 3.1 MB file arrives whole');
    assert.ok(filesOf(single as (typeof standIn.sent)[number]).get('under.bin')?.equals(under.content), 'the 2.9 MB file arrives whole');
  });

  it('refuses at hand-over a file of 3 MB or more in a cloud without upload sessions (GCC High, DoD)', async () => {
    await setup({ microsoftCloud: 'gcc-high' });
    const over = file('over.bin', 3_100_000);
    await assert.rejects(
      postroom.queue.handOver({ ...basic, attachments: [file('fine.bin', 2_900_000).input, over.input] }, 'test'),
      (err: Error & { errors?: { field: string; message: string }[] }) => {
        assert.deepEqual(err.errors?.map((x) => x.field), ['attachments.1']);
        assert.match(err.errors?.[0]?.message ?? '', /over\.bin is 3100000 bytes: Microsoft Graph in US Government GCC High \(L4\) has no upload sessions/);
        return true;
      },
    );
    assert.equal((await postroom.queue.counts()).pending ?? 0, 0, 'nothing stored');
    // A file under 3 MB still goes (POST …/attachments exists in every cloud).
    const ok = await postroom.queue.handOver({ ...basic, attachments: [file('fine.bin', 2_900_000).input] }, 'test');
    await postroom.settings.update({ microsoftCloud: 'worldwide' }, 'test');
    assert.equal((await postroom.queue.handOver({ ...basic, attachments: [over.input] }, 'test')).status, 'pending', 'worldwide has sessions');
    assert.equal((await postroom.queue.show(ok.id)).status, 'pending');
  });

  it('makes at most 4 Graph calls at once per mailbox', async () => {
    await setup({ smtpMaxConnections: 10 });
    standIn.graphDelayMs = 100;
    for (let i = 0; i < 12; i++) await postroom.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal(standIn.sent.length, 12);
    assert.equal(standIn.maxConcurrentPerMailbox.get(POSTMASTER), 4);
  });

  it('shares the four requests per mailbox between instances on PostgreSQL, drafts included', { skip: SKIP_POSTGRES && 'POSTROOM_TEST_POSTGRES=skip' }, async () => {
    standIn = await startMicrosoftStandIn({ clientSecret: SECRET });
    cleanups.push(() => standIn.close());
    standIn.graphDelayMs = 150;
    db = await createTestDatabase('postgres');
    cleanups.push(() => db.cleanup());
    const open = async () => {
      // Small batches, so that both instances claim and send at the same time.
      const p = await openTestPostroom(db, { dispatcher: { ...FAST, batchSize: 4, route: { ca: testPki().caPem }, endpoints: standIn.endpoints } });
      cleanups.push(() => p.close());
      return p;
    };
    const one = await open();
    const two = await open();
    await one.settings.update({ enabled: true, useGraph: true, tenantId: standIn.app.tenantId, clientId: standIn.app.clientId, clientSecret: SECRET, postmaster: POSTMASTER, smtpMaxConnections: 6 }, 'test');
    for (let i = 0; i < 16; i++) await one.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    const drafts = new OutlookDrafts(two.settings, two.users, standIn.endpoints, testPki().caPem, two.graphSlots);
    const [a, b] = await Promise.all([
      one.dispatcher.runCampaign(),
      two.dispatcher.runCampaign(),
      ...[1, 2, 3].map((i) => sleep(200 + i * 50).then(() => drafts.create({ ...basic, subject: `draft ${i}` }))),
    ]);
    const sentBy = (r: typeof a) => (r && 'outcome' in r && r.outcome.state === 'ran' ? r.outcome.sent : 0);
    assert.ok(sentBy(a) > 0 && sentBy(b) > 0, `both instances sent (${sentBy(a)} and ${sentBy(b)})`);
    assert.equal(standIn.concurrencyRefusals, 0, 'Graph never had to refuse a fifth request');
    assert.equal(standIn.maxConcurrentPerMailbox.get(POSTMASTER), 4, 'four at once, not four per instance');
    assert.equal(standIn.sent.length, 16);
    assert.equal(standIn.drafts.size, 3);
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

  it("fails an e-mail at once on 403 ErrorSendAsDenied for a user's address, with advice, while others go", async () => {
    await setup({ forcePostmaster: false });
    const message = 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.';
    standIn.failGraph({ status: 403, code: 'ErrorSendAsDenied', message }, 1, /bob%40corp\.example\/sendMail$/);
    const bob = await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example' } }, 'test');
    const ann = await postroom.queue.handOver({ ...basic, sender: { email: 'ann@corp.example' } }, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state === 'ran' ? report.outcome.routeFailure : 'not ran', null, 'not a route failure');
    const e = await postroom.queue.show(bob.id);
    assert.equal(e.status, 'failed');
    assert.equal(e.lastReplyCode, 403);
    assert.ok(e.lastReply?.includes(`403 ErrorSendAsDenied: ${message}`), e.lastReply ?? '');
    assert.match(e.lastReply ?? '', /grant Send As \(Add-RecipientPermission .*-AccessRights SendAs\), or check "Force postmaster as sender of all emails"/);
    assert.equal(e.attemptLog[0]?.outcome, 'permanent');
    assert.equal((await postroom.queue.show(ann.id)).status, 'sent', 'the other sender goes on');
    await sleep(200);
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(bob.id)).attemptLog.length, 1, 'never retried');
  });

  const waiting = async (id: number) => {
    const e = await postroom.queue.show(id);
    assert.equal(e.status, 'pending', `the e-mail waits (${e.lastReply ?? ''})`);
    assert.equal(e.attemptLog.length, 0, 'no attempt spent on a route failure');
    return e;
  };
  const routeMessage = (r: Awaited<ReturnType<typeof postroom.dispatcher.runCampaign>>) =>
    r.outcome.state === 'route-failing' ? r.outcome.message : r.outcome.state === 'ran' ? (r.outcome.routeFailure ?? '(ran, no route failure)') : `(${r.outcome.state})`;

  for (const [what, arrange, expected] of [
    ['403 ErrorAccessDenied (RBAC for Applications leaves the mailbox out)', (s: MicrosoftStandIn) => (s.app.mailboxScope = ['sales@corp.example']), /403 ErrorAccessDenied: Access is denied.*the application may not use the mailbox postmaster@corp\.example: .*Mail\.Send application permission.*RBAC for Applications.*include postmaster@corp\.example in its scope/],
    ['404 ErrorInvalidUser (no such user)', (s: MicrosoftStandIn) => (s.mailboxes = new Map([['ann@corp.example', 'licensed']])), /404 ErrorInvalidUser: .*postmaster@corp\.example is not a user of this tenant: check the address/],
    ['404 MailboxNotEnabledForRESTAPI (no licence)', (s: MicrosoftStandIn) => (s.mailboxes = new Map([['postmaster@corp.example', 'unlicensed']])), /404 MailboxNotEnabledForRESTAPI: .*give the user an Exchange Online licence/],
  ] as const) {
    it(`stops the route on ${what} for the postmaster's mailbox: e-mails wait, the campaign says why`, async () => {
      await setup();
      arrange(standIn);
      const first = await postroom.queue.handOver(basic, 'test');
      const second = await postroom.queue.handOver({ ...basic, subject: 'second' }, 'test');
      const report = await postroom.dispatcher.runCampaign();
      assert.match(routeMessage(report), expected);
      await waiting(first.id);
      await waiting(second.id);
      const again = await postroom.dispatcher.runCampaign();
      assert.equal(again.outcome.state, 'route-failing');
      assert.match(routeMessage(again), expected);
      assert.match(routeMessage(again), /checked again at \d\d:\d\d:\d\d UTC, or when the settings change/);
      await waiting(second.id);
      assert.equal(standIn.sent.length, 0);

      // Fixed in the tenant and a setting saved (the administrator's "try again"): sent.
      standIn.app.mailboxScope = null;
      standIn.mailboxes = null;
      await postroom.settings.update({ postmaster: 'POSTMASTER@corp.example' }, 'test');
      for (let i = 0; i < 20 && (await postroom.queue.show(first.id)).status !== 'sent'; i++) {
        await sleep(100);
        await postroom.dispatcher.runCampaign();
      }
      assert.equal((await postroom.queue.show(first.id)).status, 'sent');
      assert.equal((await postroom.queue.show(second.id)).status, 'sent');
    });
  }

  it("fails only that e-mail when a user's own mailbox is unknown or unlicensed (not forced)", async () => {
    await setup({ forcePostmaster: false });
    standIn.mailboxes = new Map([['ann@corp.example', 'licensed'], ['carl@corp.example', 'unlicensed']]);
    const ghost = await postroom.queue.handOver({ ...basic, sender: { email: 'ghost@corp.example' } }, 'test');
    const carl = await postroom.queue.handOver({ ...basic, sender: { email: 'carl@corp.example' } }, 'test');
    const ann = await postroom.queue.handOver({ ...basic, sender: { email: 'ann@corp.example' } }, 'test');
    await postroom.dispatcher.runCampaign();
    const g = await postroom.queue.show(ghost.id);
    assert.equal(g.status, 'failed');
    assert.match(g.lastReply ?? '', /404 ErrorInvalidUser: .*ghost@corp\.example is not a user of this tenant/);
    const c = await postroom.queue.show(carl.id);
    assert.equal(c.status, 'failed');
    assert.match(c.lastReply ?? '', /404 MailboxNotEnabledForRESTAPI: .*carl@corp\.example has no Exchange Online mailbox/);
    assert.equal((await postroom.queue.show(ann.id)).status, 'sent');
  });

  it("reads the token's roles: without Mail.Send nothing is tried; without Mail.ReadWrite only e-mails over 4 MB fail", async () => {
    await setup();
    standIn.app.graphRoles = ['User.Read.All'];
    const small = await postroom.queue.handOver(basic, 'test');
    let report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing');
    assert.match(routeMessage(report), /the app's token has no Mail\.Send application permission \(roles: User\.Read\.All\): add Microsoft Graph > Application permissions > Mail\.Send to the app registration and grant admin consent/);
    assert.equal((await postroom.queue.show(small.id)).attemptLog.length, 0, 'nothing was tried');
    assert.equal(standIn.graphRequests.length, 0, 'no Graph call');

    // Granted in Entra ID: the next check asks for a new token (the refused one is not kept).
    standIn.app.graphRoles = ['Mail.Send'];
    const large = await postroom.queue.handOver({ ...basic, subject: 'large', attachments: [file('scan.bin', 3_500_000).input] }, 'test');
    report = await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(small.id)).status, 'sent');
    const l = await postroom.queue.show(large.id);
    assert.equal(l.status, 'failed');
    assert.match(l.lastReply ?? '', /403 ErrorAccessDenied.*\(the app's token has no Mail\.ReadWrite application permission: e-mails over 4 MB \(sent through a draft\) and Outlook \(New\) drafts need it/);
    assert.equal(report.outcome.state === 'ran' ? report.outcome.routeFailure : 'x', null, 'not a route failure: small e-mails still go');
  });

  it('spaces out token requests while the identity platform keeps refusing them; Test connection still asks', async () => {
    await setup({ clientSecret: 'Gr8~the-secret-ID-not-its-Value' });
    const { id } = await postroom.queue.handOver(basic, 'test');
    for (let i = 0; i < 5; i++) {
      const r = await postroom.dispatcher.runCampaign();
      assert.match(routeMessage(r), /AADSTS7000215/);
      if (i >= 3) assert.match(routeMessage(r), /refused 3 times in a row: no new token request before \d\d:\d\d:\d\d UTC/);
    }
    assert.equal(standIn.tokenRequests.length, 3, 'three refused requests, then none for 15 s');
    assert.equal((await postroom.queue.show(id)).attemptLog.length, 0);

    await postroom.admins.setPassword(PASSWORD);
    const server = await startHttp(postroom, { route: { ca: testPki().caPem }, endpoints: standIn.endpoints });
    cleanups.push(() => server.close());
    const admin = new Client(server.url);
    assert.equal((await admin.login(PASSWORD)).status, 200);
    const tested = await admin.post<{ ok: boolean; steps: { detail: string }[] }>('/api/v1/settings/email/test-connection', {});
    assert.equal(tested.body.ok, false);
    assert.match(tested.body.steps[0]?.detail ?? '', /AADSTS7000215/);
    assert.equal(standIn.tokenRequests.length, 4, 'an administrator asking gets a real request');

    await postroom.settings.update({ clientSecret: SECRET }, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(id)).status, 'sent', 'new credentials: asked at once, sent');
  });

  it('sends with a client certificate instead of a secret: the stand-in checks the signed client assertion', async () => {
    const cert = makeClientCertificate(365);
    await setup({ clientSecret: null, clientCertificate: cert.pem });
    standIn.app.certificates = [cert.certificatePem];
    const { id } = await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(id)).status, 'sent');
    const form = standIn.tokenRequests[0]?.form ?? {};
    assert.equal(form.client_secret, undefined);
    assert.equal(form.scope, standIn.graphScope);
    const [header, claims] = (form.client_assertion ?? '..').split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    assert.equal(claims?.iss, standIn.app.clientId);
    assert.equal(claims?.aud, `${standIn.origin}/${standIn.app.tenantId}/oauth2/v2.0/token`);
    assert.equal(Array.isArray(header?.x5c), true, 'the certificate goes along (x5c)');
    // The certificate removed from the app registration: refused, the route waits.
    standIn.app.certificates = [];
    await postroom.settings.update({ clientCertificate: makeClientCertificate(365).pem }, 'test');
    const waits = await postroom.queue.handOver({ ...basic, subject: 'waits' }, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing');
    assert.match(routeMessage(report), /AADSTS700027/);
    assert.equal((await postroom.queue.show(waits.id)).status, 'pending');
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
    assert.match(good.body.steps[0]?.detail ?? '', new RegExp(`token issued by tenant ${standIn.app.tenantId} for ${standIn.graphScope.replace(/[.]/g, '\\.')} with the client secret`));
    assert.deepEqual(good.body.steps[1], { step: 'permissions', ok: true, detail: 'the app has Mail.Send, Mail.ReadWrite' });

    // The token's roles claim names what is missing.
    standIn.app.graphRoles = ['Mail.Send'];
    const noDrafts = await test();
    assert.equal(noDrafts.body.ok, true, 'sending works without Mail.ReadWrite');
    assert.match(noDrafts.body.steps[1]?.detail ?? '', /no Mail\.ReadWrite application permission: e-mails over 4 MB \(sent through a draft\) and Outlook \(New\) drafts need it/);
    standIn.app.graphRoles = [];
    const nothing = await test();
    assert.equal(nothing.body.ok, false);
    assert.equal(nothing.body.steps[1]?.ok, false);
    assert.match(nothing.body.steps[1]?.detail ?? '', /no Mail\.Send application permission \(roles: none\)/);
    standIn.app.graphRoles = ['Mail.Send', 'Mail.ReadWrite'];

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

    assert.equal((await admin.patch('/api/v1/settings/email', { tenantId: 'contoso-typo.example', clientSecret: SECRET })).status, 200);
    assert.match((await test()).body.steps[0]?.detail ?? '', /the tenant was not found.*\(AADSTS90002\)/);

    assert.equal((await admin.patch('/api/v1/settings/email', { tenantId: '' })).status, 200);
    const incomplete = await test();
    assert.equal(incomplete.body.ok, false);
    assert.match(incomplete.body.steps[0]?.detail ?? '', /fill in tenantId\b/);

    for (const r of [good, wrong, expired]) assert.ok(!r.text.includes(SECRET), 'the secret is in an answer');
  });
});
