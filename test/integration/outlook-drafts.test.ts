// Outlook (New) drafts over the real HTTP server and the HTTPS Graph stand-in: the draft endpoint,
// compose for users on the new Outlook, missing Graph settings, and client-secret expiry warnings.
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp } from '../helpers/http.js';
import { makeClientCertificate, startMicrosoftStandIn, type MicrosoftStandIn } from '../helpers/microsoft-standin.js';
import { testPki } from '../helpers/pki.js';

const PASSWORD = 'correct horse battery staple';
const SECRET = 'Dr4~Drafts.Secret-Value_abcdefghijklmnop01';
const POSTMASTER = 'postmaster@corp.example';
const DRAFTS = 'drafts@corp.example';
const DAY = 86_400_000;

interface DraftAnswer {
  id: string;
  webLink: string | null;
  mailbox: string;
}

describe('Outlook (New) drafts', () => {
  let standIn: MicrosoftStandIn;
  let db: TestDatabase;
  let postroom: Postroom;
  let admin: Client;
  let host: Client;
  const cleanups: (() => Promise<void>)[] = [];

  before(() => testPki());

  /** Postroom opened on the stand-in with drafts set up; with `http`, a server and two clients on it. */
  async function setup(settings: Record<string, unknown> = {}, http = true) {
    standIn = await startMicrosoftStandIn({ clientSecret: SECRET });
    cleanups.push(() => standIn.close());
    db = await createTestDatabase('sqlite');
    cleanups.push(() => db.cleanup());
    const route = { ca: testPki().caPem };
    postroom = await openTestPostroom(db, { dispatcher: { route, endpoints: standIn.endpoints, leaseMs: 10_000 } });
    cleanups.push(() => postroom.close());
    await postroom.admins.setPassword(PASSWORD);
    await postroom.settings.update(
      {
        enabled: true,
        useGraph: true,
        tenantId: standIn.app.tenantId,
        clientId: standIn.app.clientId,
        clientSecret: SECRET,
        postmaster: POSTMASTER,
        outlookNewAddress: DRAFTS,
        forcePostmaster: true,
        campaignIntervalSeconds: 1,
        ...settings,
      },
      'test',
    );
    if (!http) return;
    const server = await startHttp(postroom, { route, endpoints: standIn.endpoints });
    cleanups.push(() => server.close());
    admin = new Client(server.url);
    assert.equal((await admin.login(PASSWORD)).status, 200);
    const made = await admin.post<{ token: string }>('/api/v1/tokens', { name: 'ERP' });
    assert.equal(made.status, 201);
    host = Client.withToken(server.url, made.body.token);
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const queued = async () => Object.values(await postroom.queue.counts()).reduce((a, b) => a + b, 0);
  const draft = {
    to: [{ email: 'alice@example.org', name: 'Alice' }],
    cc: ['carol@example.org'],
    subject: 'Quote Q-118',
    html: '<p>Here is the quote.</p>',
    text: 'Here is the quote.',
    attachments: [{ filename: 'quote.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 quote').toString('base64') }],
  };

  it('creates the draft in the Outlook (New) mailbox and returns its id and web link', async () => {
    await setup();
    await host.put('/api/v1/users/u-olivia', { email: 'olivia@corp.example', name: 'Olivia', emailSoftware: 'outlook-new' });
    for (const [who, body] of [
      ['administrator', admin],
      ['host token', host],
    ] as const) {
      const r = await body.post<DraftAnswer>('/api/v1/outlook/drafts', { ...draft, userId: 'u-olivia' });
      assert.equal(r.status, 201, `${who}: ${r.text}`);
      assert.equal(r.body.mailbox, DRAFTS);
      const made = standIn.drafts.get(r.body.id);
      assert.ok(made, `${who}: the draft exists in Graph`);
      assert.equal(made.mailbox, DRAFTS);
      assert.equal(r.body.webLink, made.webLink);
      assert.equal(made.parsed.subject, 'Quote Q-118');
      assert.equal(made.parsed.text?.trim(), 'Here is the quote.');
      assert.match(made.parsed.html || '', /Here is the quote\./);
      assert.deepEqual(made.parsed.replyTo?.value, [{ address: 'olivia@corp.example', name: 'Olivia' }], 'answers go to the user');
      assert.equal(made.parsed.from?.value[0]?.address, DRAFTS, 'sent from the mailbox the draft lives in, not another one');
      assert.deepEqual(made.parsed.attachments.map((a) => [a.filename, a.content.toString()]), [['quote.pdf', '%PDF-1.4 quote']]);
    }
    assert.ok(standIn.graphRequests.every((g) => g.path === `/v1.0/users/${encodeURIComponent(DRAFTS)}/messages` && g.contentType === 'text/plain'), 'every Graph request created a MIME draft in the drafts mailbox');
    assert.equal(standIn.sent.length, 0, 'a draft is not sent');
    assert.equal(await queued(), 0, 'nothing was queued');
  });

  it('creates the draft in the postmaster mailbox when no Outlook (New) address is set', async () => {
    await setup({ outlookNewAddress: '' });
    const r = await host.post<DraftAnswer>('/api/v1/outlook/drafts', { ...draft, sender: { email: 'sam@corp.example', name: 'Sam' } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.mailbox, POSTMASTER);
    assert.equal(standIn.drafts.get(r.body.id)?.mailbox, POSTMASTER);
  });

  it('gives a draft link to a user on Outlook (New) who asks to compose, and sends for a user on the server', async () => {
    await setup();
    assert.equal((await host.put('/api/v1/users/u-olivia', { email: 'olivia@corp.example', name: 'Olivia', emailSoftware: 'outlook-new' })).status, 201);
    assert.equal((await host.put('/api/v1/users/u-sam', { email: 'sam@corp.example', name: 'Sam', emailSoftware: 'server' })).status, 201);
    const email = { to: ['alice@example.org'], subject: 'Delivery note', text: 'Your order has shipped.', compose: true };

    const composed = await host.post<{ composed: string; draft: DraftAnswer }>('/api/v1/emails', { ...email, sender: { email: 'olivia@corp.example' } });
    assert.equal(composed.status, 201, composed.text);
    assert.equal(composed.body.composed, 'outlook-new');
    assert.equal(composed.body.draft.mailbox, DRAFTS);
    assert.match(composed.body.draft.webLink ?? '', /^https:\/\/outlook\.office365\.com\/owa\/\?ItemID=/);
    assert.equal(standIn.drafts.get(composed.body.draft.id)?.parsed.subject, 'Delivery note');
    assert.equal(await queued(), 0, 'nothing queued for the Outlook (New) user');

    const sent = await host.post<{ id: number; status: string }>('/api/v1/emails', { ...email, sender: { email: 'sam@corp.example' } });
    assert.equal(sent.status, 202, sent.text);
    assert.equal(sent.body.status, 'pending');
    // Without compose, even the Outlook (New) user's e-mail is sent by Postroom.
    const plain = await host.post<{ id: number }>('/api/v1/emails', { ...email, compose: undefined, sender: { email: 'olivia@corp.example' } });
    assert.equal(plain.status, 202, plain.text);
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(sent.body.id)).status, 'sent');
    assert.equal((await postroom.queue.show(plain.body.id)).status, 'sent');
    assert.deepEqual(standIn.sent.map((m) => [m.via, m.mailbox]), [['sendMail', POSTMASTER], ['sendMail', POSTMASTER]]);
    assert.equal(standIn.drafts.size, 1, 'only the composed draft');
  });

  it('composes for an Outlook (New) user without HTTP: an embedding application gets the draft, not a queued e-mail', async () => {
    await setup({}, false);
    await postroom.users.upsert('u-olivia', { email: 'olivia@corp.example', name: 'Olivia', emailSoftware: 'outlook-new' });
    await postroom.users.upsert('u-sam', { email: 'sam@corp.example', name: 'Sam', emailSoftware: 'server' });
    const email = { to: ['alice@example.org'], subject: 'Delivery note', text: 'Your order has shipped.', compose: true, idempotencyKey: 'dn-1' };

    const composed = await postroom.compose({ ...email, sender: { email: 'olivia@corp.example' } }, 'my-app');
    assert.ok('composed' in composed, 'a draft, not a hand-over');
    assert.equal(composed.composed, 'outlook-new');
    assert.equal(composed.draft.mailbox, DRAFTS);
    const made = standIn.drafts.get(composed.draft.id);
    assert.equal(made?.parsed.subject, 'Delivery note');
    assert.deepEqual(made?.parsed.replyTo?.value.map((a) => a.address), ['olivia@corp.example'], 'answers go to the user');
    assert.equal(await queued(), 0, 'nothing queued for the Outlook (New) user');

    // Anyone else, or without compose, is handed over to the queue as queue.handOver would.
    const sam = await postroom.compose({ ...email, sender: { email: 'sam@corp.example' } }, 'my-app');
    assert.ok(!('composed' in sam), 'a user on the server: queued');
    assert.deepEqual([sam.status, sam.duplicate], ['pending', false]);
    const plain = await postroom.compose({ ...email, compose: false, idempotencyKey: 'dn-2', sender: { email: 'olivia@corp.example' } }, 'my-app');
    assert.ok(!('composed' in plain), 'without compose: queued');
    assert.equal((await postroom.queue.show(plain.id)).source, 'my-app');
    assert.equal(standIn.drafts.size, 1, 'only the composed draft');
    await assert.rejects(postroom.compose({ ...email, to: ['not an address'], sender: { email: 'olivia@corp.example' } }, 'my-app'), { name: 'EmailInputError' });
  });

  it('answers 409 naming the missing Graph settings, and calls no Microsoft endpoint', async () => {
    await setup();
    await host.put('/api/v1/users/u-olivia', { email: 'olivia@corp.example', name: 'Olivia', emailSoftware: 'outlook-new' });
    assert.equal((await admin.patch('/api/v1/settings/email', { tenantId: '', clientSecret: null })).status, 200);
    const r = await host.post<{ error: string; message: string; fields: { field: string }[] }>('/api/v1/outlook/drafts', draft);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error, 'graph_settings_missing');
    assert.match(r.body.message, /fill in tenantId, clientSecret in Configuration > Email/);
    assert.deepEqual(r.body.fields.map((f) => f.field), ['tenantId', 'clientSecret']);

    const compose = await host.post('/api/v1/emails', { to: ['alice@example.org'], subject: 'x', text: 'y', compose: true, sender: { email: 'olivia@corp.example' } });
    assert.equal(compose.status, 409, 'compose for an Outlook (New) user says the same');
    assert.equal(await queued(), 0);

    assert.equal((await admin.patch('/api/v1/settings/email', { outlookNewAddress: '', postmaster: '' })).status, 200);
    const noMailbox = await host.post<{ fields: { field: string }[] }>('/api/v1/outlook/drafts', draft);
    assert.equal(noMailbox.status, 409);
    assert.deepEqual(noMailbox.body.fields.map((f) => f.field), ['tenantId', 'clientSecret', 'outlookNewAddress (or postmaster)']);
    assert.equal(standIn.tokenRequests.length + standIn.graphRequests.length, 0);
  });

  it("answers 502 with Graph's code and message when Graph refuses the draft", async () => {
    await setup();
    standIn.failGraph({ status: 403, code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' });
    const r = await host.post<{ error: string; message: string }>('/api/v1/outlook/drafts', draft);
    assert.equal(r.status, 502, r.text);
    assert.equal(r.body.error, 'upstream');
    assert.match(r.body.message, /403 ErrorAccessDenied: Access is denied\. Check credentials and try again\./);
    assert.equal(standIn.drafts.size, 0);
  });

  it('warns on /healthz and /metrics from 30 days before the client secret expires', async () => {
    await setup();
    await postroom.dispatcher.start();
    for (let i = 0; i < 50 && !postroom.dispatcher.lastCampaign; i++) await new Promise((r) => setTimeout(r, 50));
    const date = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
    type Health = { status: string; configuration: { warnings: { key: string; message: string }[] } };
    const metric = async () => Number(/^postroom_client_secret_expiry_days (-?\d+)$/m.exec((await admin.get('/metrics')).text)?.[1]);

    assert.equal((await admin.patch('/api/v1/settings/email', { clientSecretExpiresAt: date(90) })).status, 200);
    let h = await admin.get<Health>('/healthz');
    assert.equal(h.body.status, 'ok', JSON.stringify(h.body));
    assert.deepEqual(h.body.configuration.warnings, []);
    const days = await metric();
    assert.ok([89, 90].includes(days), `89 or 90 days left, got ${days}`);

    const soon = date(10);
    assert.equal((await admin.patch('/api/v1/settings/email', { clientSecretExpiresAt: soon })).status, 200);
    h = await admin.get<Health>('/healthz');
    assert.equal(h.status, 200, 'still serving: a warning is not an outage');
    assert.equal(h.body.status, 'degraded');
    assert.equal(h.body.configuration.warnings[0]?.key, 'clientSecretExpiresAt');
    assert.match(h.body.configuration.warnings[0]?.message ?? '', new RegExp(`expires on ${soon} \\(in (9|10) days\\)`));
    const soonDays = await metric();
    assert.ok([9, 10].includes(soonDays), `9 or 10 days left, got ${soonDays}`);

    assert.equal((await admin.patch('/api/v1/settings/email', { clientSecretExpiresAt: date(-2) })).status, 200);
    h = await admin.get<Health>('/healthz');
    assert.match(h.body.configuration.warnings[0]?.message ?? '', /expired on .*: create a new one in Certificates & secrets and paste its Value here/);
    const pastDays = await metric();
    assert.ok(pastDays < 0, `an expired secret has negative days left, got ${pastDays}`);
  });

  it("creates the draft in the user's own mailbox with outlookNewDraftsIn=user-mailbox, else in the sender mailbox with a note", async () => {
    await setup({ outlookNewDraftsIn: 'user-mailbox' });
    standIn.mailboxes = new Map([
      ['olivia@corp.example', 'licensed'],
      ['drafts@corp.example', 'licensed'],
      ['pat@corp.example', 'unlicensed'],
    ]);
    await host.put('/api/v1/users/u-olivia', { email: 'olivia@corp.example', name: 'Olivia', emailSoftware: 'outlook-new' });
    await host.put('/api/v1/users/u-guest', { email: 'guest@partner.example', name: 'Guest', emailSoftware: 'outlook-new' });
    await host.put('/api/v1/users/u-pat', { email: 'pat@corp.example', name: 'Pat', emailSoftware: 'outlook-new' });

    const own = await host.post<DraftAnswer & { note?: string }>('/api/v1/outlook/drafts', { ...draft, userId: 'u-olivia' });
    assert.equal(own.status, 201, own.text);
    assert.equal(own.body.mailbox, 'olivia@corp.example', "in the user's own Drafts");
    assert.equal(own.body.note, undefined);
    const made = standIn.drafts.get(own.body.id);
    assert.equal(made?.mailbox, 'olivia@corp.example');
    assert.deepEqual(made?.parsed.from?.value, [{ address: 'olivia@corp.example', name: 'Olivia' }], 'from the user, who sends it himself');
    assert.equal(made?.parsed.replyTo, undefined);

    for (const [userId, email, code] of [
      ['u-guest', 'guest@partner.example', 'ErrorInvalidUser'],
      ['u-pat', 'pat@corp.example', 'MailboxNotEnabledForRESTAPI'],
    ] as const) {
      const r = await host.post<DraftAnswer & { note?: string }>('/api/v1/outlook/drafts', { ...draft, userId });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.mailbox, DRAFTS, 'falls back to the sender mailbox');
      assert.equal(r.body.note, `${email} has no mailbox in this tenant (404 ${code}): the draft was made in ${DRAFTS} instead`);
      const fallback = standIn.drafts.get(r.body.id);
      assert.equal(fallback?.parsed.from?.value[0]?.address, DRAFTS);
      assert.equal(fallback?.parsed.replyTo?.value[0]?.address, email, 'answers still go to the user');
    }
  });

  it('creates drafts with a client certificate instead of a secret', async () => {
    const cert = makeClientCertificate(400);
    await setup({ clientSecret: null, clientCertificate: cert.pem });
    standIn.app.certificates = [cert.certificatePem];
    const r = await host.post<DraftAnswer>('/api/v1/outlook/drafts', { ...draft, sender: { email: 'sam@corp.example' } });
    assert.equal(r.status, 201, r.text);
    assert.equal(standIn.tokenRequests[0]?.form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    assert.equal(standIn.tokenRequests[0]?.form.client_secret, undefined);
    const metrics = (await admin.get('/metrics')).text;
    assert.match(metrics, /^postroom_client_certificate_expiry_days (399|400)$/m, 'the expiry read from the certificate');
    const view = await admin.get<{ settings: Record<string, unknown> }>('/api/v1/settings/email');
    assert.ok(!view.text.includes('PRIVATE KEY') && !view.text.includes(cert.certificatePem.split('\n')[1] ?? 'x'), 'neither key nor certificate is shown');
    assert.deepEqual(Object.keys(view.body.settings.clientCertificate as object).sort(), ['set', 'updatedAt']);
  });

  it('creates a draft with an 8 MB file and five 1 MB files: an upload session for the large one only', async () => {
    await setup();
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const small = [1, 2, 3, 4, 5].map((i) => ({ filename: `p${i}.pdf`, contentType: 'application/pdf', contentBase64: Buffer.alloc(1024 * 1024, i).toString('base64') }));
    // The HTTP API takes about 55 MB per request: enough for this draft.
    const r = await host.post<DraftAnswer>('/api/v1/outlook/drafts', { ...draft, attachments: [{ filename: 'big.bin', contentBase64: big.toString('base64') }, ...small], sender: { email: 'sam@corp.example' } });
    assert.equal(r.status, 201, r.text);
    const made = standIn.drafts.get(r.body.id);
    assert.deepEqual(made?.uploaded.map((f) => f.name), ['big.bin']);
    assert.equal((made?.posted.length ?? 0) + (made?.parsed.attachments.length ?? 0), 5);
    assert.deepEqual(standIn.sessionsRefused, []);
  });
});
