// Google Workspace without a password, over real sockets: tokens from an HTTPS stand-in of Google's
// token endpoint (a JWT signed with the service account's key, checked against its public key),
// SASL XOAUTH2 to an smtp-server that takes only tokens the stand-in issued for that user and Gmail's scope.
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { captureLog, createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { GMAIL_SCOPE, GOOGLE_TOKEN_URL, startGoogleStandIn, type GoogleServiceAccount, type GoogleStandIn } from '../helpers/google-standin.js';
import { Client, startHttp } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startDovecot } from '../helpers/dovecot.js';
import { fillFixture } from '../helpers/reports.js';

const POSTMASTER = 'postmaster@corp.example';
const PASSWORD = 'correct horse battery staple';
const FAST = { backoff: { baseMs: 50, capMs: 200 }, leaseMs: 5_000 };
const invoice = { to: ['alice@example.org'], subject: 'Invoice 42', text: 'Please find it attached.' };

/** Why the route failed, whether its check failed (route-failing) or a send did mid-campaign (ran). */
const routeFailure = (r: { outcome: { state: string; message?: string; routeFailure?: string | null } }) =>
  r.outcome.state === 'route-failing' ? (r.outcome.message ?? '') : (r.outcome.routeFailure ?? `(not failing: ${r.outcome.state})`);

describe('Google Workspace with a service account (SMTP XOAUTH2)', () => {
  let google: GoogleStandIn;
  let account: GoogleServiceAccount;
  let sink: SmtpSink;
  let db: TestDatabase;
  let postroom: Postroom;
  const log = captureLog();
  const cleanups: (() => Promise<void>)[] = [];

  before(() => testPki());

  async function setup(settings: Record<string, unknown> = {}) {
    google = await startGoogleStandIn({ domain: 'corp.example', users: [POSTMASTER, 'billing@corp.example'] });
    cleanups.push(() => google.close());
    // As real Google: the assertion's audience is Google's token URL, wherever the request goes.
    google.audiences.clear();
    google.audiences.add(GOOGLE_TOKEN_URL);
    process.env.POSTROOM_GOOGLE_TOKEN_URL = google.tokenUrl;
    account = google.createServiceAccount('postroom');
    google.grantDelegation(account.clientId, [GMAIL_SCOPE]);
    // Gmail: XOAUTH2 only, for the user the token was issued for, with the mail scope.
    sink = await startSmtpSink({ xoauth2: (user, token) => google.acceptsForMail(user, token) });
    cleanups.push(() => sink.close());
    db = await createTestDatabase('sqlite');
    cleanups.push(() => db.cleanup());
    postroom = await openTestPostroom(db, { logger: log.logger, dispatcher: { ...FAST, route: { ca: testPki().caPem } } });
    cleanups.push(() => postroom.close());
    await postroom.settings.update(sinkSettings(sink.port, { smtpUser: '', smtpPassword: '', useGoogleServiceAccount: true, googleServiceAccountKey: account.keyJson, postmaster: POSTMASTER, ...settings }), 'test');
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    delete process.env.POSTROOM_GOOGLE_TOKEN_URL;
  });

  it('sends as the postmaster with a token of the service account, one token for many e-mails, and never shows the key', async () => {
    await setup();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await postroom.queue.handOver({ ...invoice, subject: `Invoice ${i}` }, 'test')).id);
    const campaign = await postroom.dispatcher.runCampaign();
    assert.equal(campaign.outcome.state, 'ran', JSON.stringify(campaign.outcome));
    for (const id of ids) assert.equal((await postroom.queue.show(id)).status, 'sent');
    assert.deepEqual([...new Set(sink.authAttempts.map((a) => `${a.user} ${a.secure ? 'TLS' : 'plain'}`))], [`${POSTMASTER} TLS`]);
    assert.equal(google.tokensIssued, 1, 'one token serves the campaign');
    const request = google.requests.find((r) => r.status === 200);
    assert.deepEqual([request?.iss, request?.sub, request?.scope], [account.clientEmail, POSTMASTER, GMAIL_SCOPE]);

    const view = await postroom.settings.view();
    assert.equal(view.route, 'google');
    assert.deepEqual(view.problems, []);
    assert.match(String(view.settings.googleServiceAccount), new RegExp(`^${account.clientEmail.replace(/\./g, '\\.')} \\(client ID ${account.clientId}, key ${account.keyId.slice(0, 12)}\\)$`));
    assert.equal(JSON.stringify(view).includes('PRIVATE KEY'), false, 'the key is never in the view');
    assert.equal(log.lines.join('\n').includes('PRIVATE KEY'), false, 'nor in the log');
  });

  it('signs in as the SMTP user when one is set: the service account acts as that user', async () => {
    await setup({ smtpUser: 'billing@corp.example' });
    const { id } = await postroom.queue.handOver(invoice, 'test');
    assert.equal((await postroom.dispatcher.runCampaign()).outcome.state, 'ran');
    assert.equal((await postroom.queue.show(id)).status, 'sent');
    assert.equal(sink.authAttempts[0]?.user, 'billing@corp.example');
    assert.equal(google.requests.at(-1)?.sub, 'billing@corp.example');
  });

  for (const [what, breakIt, advice] of [
    ['delegation not granted for the scope', () => google.revokeDelegation(account.clientId), /domain-wide delegation, add client ID \d+ with the scope https:\/\/mail\.google\.com\//],
    ["the server's clock two hours off", () => (google.clockOffsetMs = -2 * 3_600_000), /this server's clock is off; set it by NTP/],
    ['a postmaster outside the Workspace domain', () => google.users.delete(POSTMASTER), /postmaster@corp\.example is not a user Google lets the service account act as/],
    ['the key deleted in the Cloud console', () => google.deleteKey(account.keyId), /refuses the key of .*: it was deleted or disabled; create a new JSON key/],
  ] as const) {
    it(`keeps e-mails waiting and says what to do when Google refuses the token: ${what}`, async () => {
      await setup();
      breakIt();
      const { id } = await postroom.queue.handOver(invoice, 'test');
      const campaign = await postroom.dispatcher.runCampaign();
      assert.match(routeFailure(campaign), advice);
      assert.match(routeFailure(campaign), /Google: (unauthorized_client|invalid_grant)/, "Google's own words are kept");
      const email = await postroom.queue.show(id);
      assert.equal(email.status, 'pending', 'the e-mail waits for the route');
      assert.equal(sink.messages.length, 0);
    });
  }

  it("waits out Google's own failures (5xx) as a route failure for now, then sends", async () => {
    await setup();
    google.failNext(1, 503);
    const { id } = await postroom.queue.handOver(invoice, 'test');
    const first = await postroom.dispatcher.runCampaign();
    assert.match(routeFailure(first), /Google's token endpoint is unavailable for now/);
    assert.equal((await postroom.queue.show(id)).status, 'pending');
    assert.equal((await postroom.dispatcher.runCampaign()).outcome.state, 'ran');
    assert.equal((await postroom.queue.show(id)).status, 'sent');
  });

  it('a key replaced while e-mails wait: the new key sends them, without a restart', async () => {
    await setup();
    google.deleteKey(account.keyId);
    const waiting = [];
    for (let i = 0; i < 3; i++) waiting.push((await postroom.queue.handOver({ ...invoice, subject: `Waiting ${i}` }, 'test')).id);
    assert.match(routeFailure(await postroom.dispatcher.runCampaign()), /deleted or disabled/);
    const replacement = google.addKey(account.clientEmail);
    await postroom.settings.update({ googleServiceAccountKey: replacement.keyJson }, 'admin');
    assert.equal((await postroom.dispatcher.runCampaign()).outcome.state, 'ran');
    for (const id of waiting) assert.equal((await postroom.queue.show(id)).status, 'sent');
    assert.match(String((await postroom.settings.view()).settings.googleServiceAccount), new RegExp(`key ${replacement.keyId.slice(0, 12)}`));
  });

  it('refuses a key file that is not a service account key, naming the field, and keeps the stored one', async () => {
    await setup();
    for (const [text, why] of [
      ['not json', /is not JSON/],
      [JSON.stringify({ type: 'authorized_user', client_id: '1' }), /is not a service account key/],
      [JSON.stringify({ type: 'service_account', client_email: 'a@b.iam.gserviceaccount.com' }), /lacks client_id, private_key_id, private_key/],
      [account.keyJson.replace(/"private_key": *"[^"]+"/, '"private_key": "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n"'), /private_key that cannot be read/],
    ] as const) {
      await assert.rejects(postroom.settings.update({ googleServiceAccountKey: text }, 'admin'), (err: Error & { errors?: { key: string; message: string }[] }) => {
        assert.equal(err.errors?.[0]?.key, 'googleServiceAccountKey');
        assert.match(err.errors?.[0]?.message ?? '', why);
        assert.ok(!(err.errors?.[0]?.message ?? '').includes('PRIVATE KEY'), 'the message never quotes the key');
        return true;
      });
    }
    const { id } = await postroom.queue.handOver(invoice, 'test');
    assert.equal((await postroom.dispatcher.runCampaign()).outcome.state, 'ran', 'the stored key still works');
    assert.equal((await postroom.queue.show(id)).status, 'sent');
  });

  it('Test connection names each step: the token from Google, then STARTTLS and the XOAUTH2 sign-in', async () => {
    await setup();
    await postroom.admins.setPassword(PASSWORD);
    const server = await startHttp(postroom, { route: { ca: testPki().caPem } });
    cleanups.push(() => server.close());
    const admin = new Client(server.url);
    assert.equal((await admin.login(PASSWORD)).status, 200);
    const ok = await admin.post<{ ok: boolean; steps: { step: string; ok: boolean; detail: string }[] }>('/api/v1/settings/email/test-connection', {});
    assert.equal(ok.body.ok, true, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.steps.map((s) => s.step).slice(0, 4), ['token', 'connect', 'starttls', 'auth']);
    assert.match(ok.body.steps[0]?.detail ?? '', new RegExp(`token issued by Google for ${POSTMASTER} \\(service account client ID ${account.clientId}`));
    google.revokeDelegation(account.clientId);
    const refused = await admin.post<{ ok: boolean; steps: { step: string; ok: boolean; detail: string }[] }>('/api/v1/settings/email/test-connection', {});
    assert.equal(refused.body.ok, false);
    assert.match(refused.body.steps[0]?.detail ?? '', /domain-wide delegation/);
  });

  it("reads the postmaster's mailbox over IMAP with the same service account's token, for bounces", async () => {
    await setup();
    // Gmail's IMAP: XOAUTH2 for the user the token is for, checked by Dovecot against the stand-in.
    const dovecot = await startDovecot({
      oauth2: { check: async (token, user) => (google.acceptsForMail(user, token, 'imap') ? { ok: true } : { ok: false, reason: google.mailRefusal(user, token, 'imap') ?? 'refused' }) },
    });
    cleanups.push(() => dovecot.close());
    await postroom.settings.update({ bounceProcessing: true, imapHost: 'localhost', imapPort: dovecot.imapPort }, 'test');
    // The IMAP host changed: the key was saved for the old one (bound to where its tokens go), given again.
    await postroom.settings.update({ googleServiceAccountKey: account.keyJson }, 'test');
    const { id, messageId } = await postroom.queue.handOver({ to: ['nobody@example.net'], subject: 'Invoice G', text: 'Invoice.' }, 'test');
    assert.equal((await postroom.dispatcher.runCampaign()).outcome.state, 'ran');
    const facts = { postmaster: POSTMASTER, tag: postroom.tags.tag(id, messageId), messageId, recipients: ['nobody@example.net'], subject: 'Invoice G' };
    await dovecot.deliver(POSTMASTER, fillFixture('03-gmail-5-1-1-no-such-user.eml', facts));
    const test = await postroom.bounces.testMailbox();
    assert.equal(test.ok, true, test.detail);
    const outcome = await postroom.bounces.checkNow();
    assert.equal(outcome.state, 'done', JSON.stringify(outcome));
    const e = await postroom.queue.show(id);
    assert.deepEqual([e.status, e.recipients[0]?.bounce?.type], ['bounced', 'hard']);
    assert.equal(dovecot.oauthChecks.at(-1)?.user, POSTMASTER, 'signed in as the postmaster');
    assert.match((await postroom.bounces.status()).mailbox ?? '', /Google service account/);
  });

  it('the key is bound to where its tokens go: a new SMTP host clears it', async () => {
    await setup();
    const r = await postroom.settings.update({ smtpHost: 'smtp.attacker.example' }, 'admin');
    assert.deepEqual(r.cleared.map((c) => c.key), ['googleServiceAccountKey']);
    const view = await postroom.settings.view();
    assert.equal(view.settings.googleServiceAccount, '', 'whose key it was goes with it');
    assert.deepEqual(view.problems.map((p) => p.key), ['googleServiceAccountKey']);
  });
});
