// The SMTP + OAuth 2.0 route over real sockets: tokens from the HTTPS identity-platform stand-in,
// SASL XOAUTH2 to an smtp-server that accepts only tokens the stand-in issued for Exchange.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { SMTPServer } from 'smtp-server';
import { createRoute, microsoftEndpoints, TokenProvider } from '../../src/transports/index.js';
import { FIELDS, type EmailSettings } from '../../src/settings/index.js';
import { captureLog, createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { EXCHANGE_SMTP_SCOPE, makeClientCertificate, startMicrosoftStandIn, type MicrosoftStandIn } from '../helpers/microsoft-standin.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { Client, startHttp } from '../helpers/http.js';

const FAST = { backoff: { baseMs: 50, capMs: 200 }, leaseMs: 5_000 };
// Shaped like a real Entra secret Value; it must never reach a log line, an error or an attempt.
const SECRET = 'Qk8~Never.Log-This_Secret-0123456789abcd';
const POSTMASTER = 'postmaster@corp.example';
const PASSWORD = 'correct horse battery staple';
const basic = { to: ['alice@example.org'], subject: 'Invoice 42', text: 'Please find it attached.' };

const defaultEmailSettings = () => Object.fromEntries(Object.entries(FIELDS).map(([k, f]) => [k, f.default])) as EmailSettings;
/** Why the route failed, whether its check failed (route-failing) or a send did mid-campaign (ran). */
const routeFailure = (r: { outcome: { state: string; message?: string; routeFailure?: string | null } }) =>
  r.outcome.state === 'route-failing' ? (r.outcome.message ?? '') : (r.outcome.routeFailure ?? `(not failing: ${r.outcome.state})`);

describe('SMTP with OAuth 2.0 (XOAUTH2)', () => {
  let standIn: MicrosoftStandIn;
  let sink: SmtpSink;
  let db: TestDatabase;
  let postroom: Postroom;
  const log = captureLog();
  /** Plays Exchange refusing a good token (no SMTP.SendAsApp, no mailbox permission). */
  let exchangeRefuses = false;
  const exchangeAccepts = (_user: string, token: string) => !exchangeRefuses && standIn.tokenIsValid(token, EXCHANGE_SMTP_SCOPE);

  before(() => testPki());

  /** What the running test started, stopped after it in reverse order. */
  const cleanups: (() => Promise<void>)[] = [];

  async function startStandIn() {
    standIn = await startMicrosoftStandIn({ clientSecret: SECRET });
    cleanups.push(() => standIn.close());
  }

  async function setup(settings: Record<string, unknown> = {}) {
    exchangeRefuses = false;
    await startStandIn();
    sink = await startSmtpSink({ xoauth2: exchangeAccepts });
    cleanups.push(() => sink.close());
    db = await createTestDatabase('sqlite');
    cleanups.push(() => db.cleanup());
    postroom = await openTestPostroom(db, { logger: log.logger, dispatcher: { ...FAST, route: { ca: testPki().caPem }, endpoints: standIn.endpoints } });
    cleanups.push(() => postroom.close());
    await postroom.settings.update(
      sinkSettings(sink.port, { useOAuth: true, tenantId: standIn.app.tenantId, clientId: standIn.app.clientId, clientSecret: SECRET, postmaster: POSTMASTER, ...settings }),
      'test',
    );
  }

  /** Drops every SMTP connection (the pool must reconnect and sign in again), same port. */
  async function restartSink() {
    const port = sink.port;
    await sink.close();
    sink = await startSmtpSink({ xoauth2: exchangeAccepts, port });
    // Let the pool see its sockets close before the next send.
    await new Promise((r) => setTimeout(r, 250));
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  after(() => {
    assert.ok(log.lines.length > 0, 'the log was captured');
    assert.ok(!log.lines.join('\n').includes(SECRET), 'a log line holds the client secret');
  });

  it('delivers over STARTTLS with XOAUTH2, reusing one token for many e-mails', async () => {
    await setup();
    for (let i = 0; i < 12; i++) await postroom.queue.handOver({ ...basic, subject: `n${i}` }, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'ran');
    assert.equal(report.outcome.state === 'ran' ? report.outcome.sent : 0, 12);
    await sink.waitFor(12);
    assert.ok(sink.messages.every((m) => m.secure && m.user === POSTMASTER), 'signed in as the postmaster, over TLS');
    for (let i = 0; i < 5; i++) await postroom.queue.handOver({ ...basic, subject: `later ${i}` }, 'test');
    await postroom.dispatcher.runCampaign();
    await sink.waitFor(17);
    assert.equal(standIn.tokensIssued, 1, 'one token for every e-mail and connection');
    assert.deepEqual([...new Set(standIn.tokenRequests.map((r) => r.form.scope))], [EXCHANGE_SMTP_SCOPE]);
    assert.equal(standIn.unknownRequests.length, 0, 'MSAL made no discovery request');
    assert.equal(sink.authFailures, 0);
    const [first] = await postroom.queue.list({ limit: 1 });
    const shown = await postroom.queue.show(first?.id ?? 0);
    assert.equal(shown.attemptLog[0]?.route, 'smtp-oauth');
  });

  it('signs in as the SMTP user, else as the sending mailbox (the postmaster when forced)', async () => {
    await setup({ smtpUser: 'relay@corp.example' });
    await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example', name: 'Bob' } }, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal((await sink.waitFor(1))[0]?.user, 'relay@corp.example');

    await postroom.settings.update({ smtpUser: '' }, 'test');
    await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example', name: 'Bob' } }, 'test');
    await postroom.dispatcher.runCampaign();
    const forced = (await sink.waitFor(2))[1];
    assert.equal(forced?.user, POSTMASTER, 'forced: the postmaster mailbox');
    assert.equal(forced?.from, POSTMASTER);

    await postroom.settings.update({ forcePostmaster: false }, 'test');
    await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example', name: 'Bob' } }, 'test');
    await postroom.queue.handOver({ ...basic, subject: 'no user' }, 'test');
    await postroom.dispatcher.runCampaign();
    const rest = (await sink.waitFor(4)).slice(2);
    assert.deepEqual(rest.map((m) => [m.from, m.user]).sort(), [['bob@corp.example', 'bob@corp.example'], [POSTMASTER, POSTMASTER]]);
    assert.equal(standIn.tokensIssued, 1, 'the same app token signs in as every mailbox');
  });

  it('answers a 535 for a stale token with one fresh token and sends the e-mail', async () => {
    await setup();
    await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    await sink.waitFor(1);
    assert.equal(standIn.tokensIssued, 1);

    // The token is revoked while Postroom still holds it; the next sign-in gets 535 at once.
    standIn.revokeAll();
    await restartSink();
    const { id } = await postroom.queue.handOver({ ...basic, subject: 'after revocation' }, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'ran');
    const e = await postroom.queue.show(id);
    assert.equal(e.status, 'sent');
    assert.deepEqual(e.attemptLog.map((a) => a.outcome), ['sent'], 'one attempt: the retry happened inside it');
    assert.equal(sink.authFailures, 1, 'the stale token was refused once');
    assert.equal(standIn.tokensIssued, 2, 'exactly one fresh token');
    assert.equal((await sink.waitFor(1))[0]?.parsed.subject, 'after revocation');

    // Same when the route is rebuilt (a setting changed) and first checks itself with the stale token.
    standIn.revokeAll();
    await postroom.settings.update({ smtpMaxConnections: 2 }, 'test');
    const second = await postroom.queue.handOver({ ...basic, subject: 'after rebuild' }, 'test');
    const again = await postroom.dispatcher.runCampaign();
    assert.equal(again.outcome.state, 'ran', routeFailure(again));
    assert.equal((await postroom.queue.show(second.id)).status, 'sent');
    assert.equal(standIn.tokensIssued, 3);
  });

  it('keeps e-mails waiting on a 535 5.7.3 that a fresh token does not cure, and says what to check in Exchange', async () => {
    await setup();
    await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    await sink.waitFor(1);

    // The app loses its Exchange permission: every token, however fresh, gets 535 5.7.3. That is
    // a failure every e-mail would meet: the e-mail that met it goes back untouched, and waits.
    exchangeRefuses = true;
    await restartSink();
    const { id } = await postroom.queue.handOver({ ...basic, subject: 'refused' }, 'test');
    const report = await postroom.dispatcher.runCampaign();
    const help = [/535 5\.7\.3/, /signed in as postmaster@corp\.example with OAuth/, /SMTP\.SendAsApp/, /admin consent/, /New-ServicePrincipal/, /Add-MailboxPermission/, /SMTP AUTH is enabled for the mailbox/];
    for (const re of help) assert.match(routeFailure(report), re);
    const e = await postroom.queue.show(id);
    assert.equal(e.status, 'pending', 'a refused sign-in costs the e-mail nothing');
    assert.equal(e.attemptLog.length, 0, 'no attempt is charged to it');
    assert.ok(sink.authFailures >= 2, `the cached token, then a fresh one, were both refused (${sink.authFailures})`);
    assert.ok(standIn.tokensIssued >= 2, `a fresh token was asked for (${standIn.tokensIssued})`);

    // Later e-mails wait too, and the campaign says why.
    const waiting = await postroom.queue.handOver({ ...basic, subject: 'waits' }, 'test');
    const again = await postroom.dispatcher.runCampaign();
    for (const re of help) assert.match(routeFailure(again), re);
    assert.equal((await postroom.queue.show(waiting.id)).status, 'pending');
    assert.equal(sink.messages.length, 0, 'the refusing server received nothing');
  });

  it('reports each AADSTS refusal with its meaning; e-mails wait until it is fixed', async () => {
    await setup();
    const { id } = await postroom.queue.handOver(basic, 'test');
    const { tenantId, clientId } = standIn.app;
    // A change of tenant or client ID clears the stored secret (it was saved for the old app): each case gives it again.
    const cases: [string, () => Promise<void>, RegExp][] = [
      ['unknown tenant', () => postroom.settings.update({ tenantId: '00000000-0000-0000-0000-00000000beef', clientSecret: SECRET }, 'test').then(() => undefined), /the tenant was not found: check Tenant ID .*\(AADSTS90002\)/],
      ['unknown application', () => postroom.settings.update({ tenantId, clientId: '11111111-2222-3333-4444-555555555555', clientSecret: SECRET }, 'test').then(() => undefined), /the application was not found in this tenant: check Client ID .*\(AADSTS700016\)/],
      ['wrong secret', () => postroom.settings.update({ clientId, clientSecret: 'Qk8~the-secret-ID-not-its-Value' }, 'test').then(() => undefined), /the client secret is wrong: paste the secret's Value, not its Secret ID \(AADSTS7000215\)/],
      [
        'expired secret',
        async () => {
          await postroom.settings.update({ clientSecret: SECRET }, 'test');
          standIn.app.secretExpired = true;
        },
        /token request refused: the client secret has expired: create a new one in Certificates & secrets and paste its Value here \(AADSTS7000222\)/,
      ],
      [
        'no admin consent',
        async () => {
          standIn.app.secretExpired = false;
          standIn.app.consented = false;
        },
        /admin consent is missing: grant admin consent for the API permissions of the app registration \(AADSTS65001\)/,
      ],
      [
        'identity platform unavailable',
        async () => {
          standIn.app.consented = true;
          standIn.failToken(90033);
        },
        /unavailable for a moment \(AADSTS90033\)/,
      ],
    ];
    for (const [what, change, expected] of cases) {
      await change();
      const report = await postroom.dispatcher.runCampaign();
      const message = routeFailure(report);
      assert.match(message, expected, what);
      assert.ok(!message.includes(SECRET), `${what}: the secret is in the message`);
      assert.equal((await postroom.queue.show(id)).status, 'pending', `${what}: the e-mail waits`);
    }
    assert.equal(sink.messages.length, 0, 'nothing reached the SMTP server without a token');
    // MSAL honours the identity platform's Retry-After: no request until it has passed.
    const requests = standIn.tokenRequests.length;
    assert.match(routeFailure(await postroom.dispatcher.runCampaign()), /AADSTS90033/);
    assert.equal(standIn.tokenRequests.length, requests, 'no token request inside the Retry-After');
    await new Promise((r) => setTimeout(r, 2_100));
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(id)).status, 'sent', 'fixed: sent at the next campaign');
    assert.equal((await postroom.queue.show(id)).attemptLog.length, 1, 'no attempt was spent while the token was refused');
  });

  it('never lets the client secret into a log line, an error, an attempt or the settings view', async () => {
    await setup();
    const good = await postroom.queue.handOver(basic, 'test');
    await postroom.dispatcher.runCampaign();
    exchangeRefuses = true;
    await restartSink();
    const refused = await postroom.queue.handOver({ ...basic, subject: 'refused' }, 'test');
    await postroom.dispatcher.runCampaign();
    exchangeRefuses = false;
    await postroom.settings.update({ clientSecret: `${SECRET}-typo` }, 'test');
    const failing = await postroom.dispatcher.runCampaign();

    assert.ok(standIn.tokenRequests.some((r) => r.form.client_secret === SECRET), 'the secret did go to the token endpoint');
    const seen = JSON.stringify([
      await postroom.queue.show(good.id),
      await postroom.queue.show(refused.id),
      failing,
      await postroom.settings.view(),
      await postroom.settings.audit(100),
      log.lines,
    ]);
    assert.match(seen, /AADSTS7000215/, 'the failures were recorded');
    assert.ok(!seen.includes(SECRET), 'the client secret leaked');
  });

  it('tests the connection: token, STARTTLS, XOAUTH2 sign-in, and what a 535 5.7.3 means', async () => {
    await setup();
    await postroom.admins.setPassword(PASSWORD);
    const server = await startHttp(postroom, { route: { ca: testPki().caPem }, endpoints: standIn.endpoints });
    cleanups.push(() => server.close());
    const admin = new Client(server.url);
    assert.equal((await admin.login(PASSWORD)).status, 200);
    type Result = { ok: boolean; steps: { step: string; ok: boolean; detail: string; reply?: string }[] };
    const test = () => admin.post<Result>('/api/v1/settings/email/test-connection', {});

    const good = await test();
    assert.equal(good.body.ok, true, good.text);
    assert.deepEqual(good.body.steps.map((s) => s.step), ['token', 'connect', 'starttls', 'auth', 'sender', 'recipient']);
    assert.match(good.body.steps[0]?.detail ?? '', /token issued by tenant .* for https:\/\/outlook\.office365\.com\/\.default/);
    assert.equal(good.body.steps[3]?.detail, `signed in as ${POSTMASTER} with an OAuth token`);
    assert.equal(sink.messages.length, 0, 'a test sends nothing');

    exchangeRefuses = true;
    const refused = await test();
    assert.equal(refused.body.ok, false);
    const auth = refused.body.steps.find((s) => s.step === 'auth');
    assert.equal(auth?.ok, false);
    assert.match(auth?.reply ?? '', /^535 5\.7\.3/);
    for (const re of [/SMTP\.SendAsApp/, /New-ServicePrincipal/, /Add-MailboxPermission/, /SMTP AUTH is enabled for the mailbox/]) assert.match(auth?.detail ?? '', re);

    // The token's roles claim says when the Exchange permission itself is missing.
    exchangeRefuses = false;
    standIn.app.smtpRoles = [];
    const noRole = await test();
    assert.equal(noRole.body.ok, false);
    assert.deepEqual(noRole.body.steps[1], {
      step: 'permissions',
      ok: false,
      detail: "the app's token has no SMTP.SendAsApp application permission (roles: none): add Office 365 Exchange Online > Application permissions > SMTP.SendAsApp and grant admin consent",
    });
    standIn.app.smtpRoles = ['SMTP.SendAsApp'];

    exchangeRefuses = false;
    assert.equal((await admin.patch('/api/v1/settings/email', { clientSecret: 'Qk8~the-secret-ID-not-its-Value' })).status, 200);
    const wrong = await test();
    assert.deepEqual(wrong.body.steps.map((s) => [s.step, s.ok]), [['token', false]]);
    assert.match(wrong.body.steps[0]?.detail ?? '', /\(AADSTS7000215\)/);
    for (const r of [good, refused, wrong]) assert.ok(!r.text.includes(SECRET), 'the secret is not in the test report');
  });

  it('makes one token request for many concurrent cold callers, and renews before expiry', async () => {
    await startStandIn();
    const credentials = { tenantId: standIn.app.tenantId, clientId: standIn.app.clientId, clientSecret: SECRET };
    const provider = new TokenProvider(credentials, standIn.endpoints, testPki().caPem);
    standIn.tokenDelayMs = 150;
    const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.getToken(EXCHANGE_SMTP_SCOPE)));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(standIn.tokensIssued, 1, 'single flight');
    assert.equal(provider.requests, 1);
    // Forced refreshes (after a 535) at the same moment also share one request.
    const fresh = await Promise.all(Array.from({ length: 5 }, () => provider.getToken(EXCHANGE_SMTP_SCOPE, { forceRefresh: true })));
    assert.equal(new Set(fresh).size, 1);
    assert.notEqual(fresh[0], tokens[0]);
    assert.equal(standIn.tokensIssued, 2);

    // Short-lived tokens are renewed before they run out, not after a refusal.
    standIn.tokenDelayMs = 0;
    // MSAL counts the lifetime from the request time rounded to a second (±0.5 s), and Postroom
    // renews at half the lifetime: a 3 s token is renewed 1.25 to 1.75 s after it was issued.
    standIn.expiresInSeconds = 3;
    const short = await provider.getToken(EXCHANGE_SMTP_SCOPE, { forceRefresh: true });
    assert.equal(await provider.getToken(EXCHANGE_SMTP_SCOPE), short, 'cached while fresh');
    await new Promise((r) => setTimeout(r, 1_900));
    const renewed = await provider.getToken(EXCHANGE_SMTP_SCOPE);
    assert.notEqual(renewed, short);
    assert.ok(standIn.tokenIsValid(renewed, EXCHANGE_SMTP_SCOPE), 'the renewed token is valid for SMTP');
    assert.equal(standIn.tokensIssued, 4);
  });

  it('signs in with a client certificate: a client assertion the identity platform checks against the uploaded certificate', async () => {
    const cert = makeClientCertificate(20);
    await setup({ clientSecret: null, clientCertificate: cert.pem });
    standIn.app.certificates = [cert.certificatePem];
    const view = await postroom.settings.view();
    assert.deepEqual(view.problems, [], 'a certificate is a credential of its own');
    assert.equal((view.settings.clientCertificate as { set: boolean }).set, true);
    assert.equal(view.settings.clientCertificateExpiresAt, new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10));
    assert.match(view.warnings.find((w) => w.key === 'clientCertificate')?.message ?? '', /the client certificate expires on .* \(in (19|20) days\)/);
    assert.ok(!JSON.stringify(view).includes('PRIVATE KEY'), 'the key is never shown');

    await postroom.queue.handOver(basic, 'test');
    const report = await postroom.dispatcher.runCampaign();
    assert.equal(report.outcome.state === 'ran' ? report.outcome.sent : -1, 1, routeFailure(report));
    const form = standIn.tokenRequests[0]?.form ?? {};
    assert.equal(form.client_secret, undefined, 'no secret sent');
    assert.equal(form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const header = JSON.parse(Buffer.from((form.client_assertion ?? '').split('.')[0] ?? '', 'base64url').toString()) as Record<string, string>;
    assert.equal(header.alg, 'PS256');
    assert.ok(header['x5t#S256'], 'the SHA-256 thumbprint names the certificate');
    assert.equal(standIn.tokenRequests[0]?.status, 200);

    // A certificate the app registration does not know is refused, and the route waits.
    const other = makeClientCertificate(20, 'Not uploaded');
    await postroom.settings.update({ clientCertificate: other.pem }, 'test');
    const waiting = await postroom.queue.handOver({ ...basic, subject: 'waits' }, 'test');
    const refused = await postroom.dispatcher.runCampaign();
    assert.match(routeFailure(refused), /AADSTS700027/);
    assert.equal((await postroom.queue.show(waiting.id)).status, 'pending');
    assert.ok(!log.lines.join('\n').includes('PRIVATE KEY'), 'no key in the log');
  });

  it('refuses a certificate without its key or with the key of another certificate; the field says why', async () => {
    await setup();
    const a = makeClientCertificate(20);
    const b = makeClientCertificate(20);
    const keyOf = (pem: string) => pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----'));
    const refused = async (value: string) => {
      try {
        await postroom.settings.update({ clientCertificate: value }, 'test');
        return '(saved)';
      } catch (err) {
        return (err as Error).message;
      }
    };
    assert.match(await refused(a.certificatePem), /clientCertificate: holds no PEM private key/);
    assert.match(await refused(b.certificatePem + keyOf(a.pem)), /clientCertificate: holds a private key that does not belong to the certificate/);
    assert.match(await refused('hello'), /clientCertificate: holds no PEM certificate/);
    assert.match(await refused(a.pem), /\(saved\)/);
    // Pasted into a password field, which drops line breaks: still read.
    assert.match(await refused(a.pem.replace(/\r?\n/g, '')), /\(saved\)/);
    try {
      await postroom.settings.update({ clientCertificateExpiresAt: '2099-01-01' }, 'test');
      assert.fail('a read-only setting was changed');
    } catch (err) {
      assert.match((err as Error).message, /clientCertificateExpiresAt: is set by Postroom and cannot be changed/);
    }
  });

  it("names the PowerShell switches for 535 5.7.139 (SMTP AUTH disabled) and the Send As fix for 554 5.2.252", async () => {
    // 535 5.7.139, as Exchange Online answers a password sign-in when SMTP AUTH is off.
    const pki = testPki();
    const exchange = new SMTPServer({
      key: pki.keyPem,
      cert: pki.certPem,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth: (_auth, _session, cb) => cb(Object.assign(new Error('5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.'), { responseCode: 535 })),
    });
    await new Promise<void>((resolve) => exchange.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => exchange.close(() => resolve())));
    db = await createTestDatabase('sqlite');
    cleanups.push(() => db.cleanup());
    postroom = await openTestPostroom(db, { logger: log.logger, dispatcher: { ...FAST, route: { ca: pki.caPem } } });
    cleanups.push(() => postroom.close());
    const port = (exchange.server.address() as { port: number }).port;
    await postroom.settings.update(sinkSettings(port, { smtpUser: POSTMASTER, smtpPassword: 'a password', postmaster: POSTMASTER }), 'test');
    const { id } = await postroom.queue.handOver(basic, 'test');
    let message = routeFailure(await postroom.dispatcher.runCampaign());
    for (const re of [/535 5\.7\.139/, /Set-TransportConfig -SmtpClientAuthenticationDisabled \$false/, /Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled \$false/, /security defaults/]) assert.match(message, re);
    assert.equal((await postroom.queue.show(id)).status, 'pending', 'the e-mail waits');

    // 554 5.2.252 SendAsDenied at the end of DATA, on the OAuth route.
    await setup({ forcePostmaster: false });
    sink.dataReplies.push({ code: 554, message: '5.2.252 SendAsDenied; bob@corp.example not allowed to send as bob@corp.example; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied' });
    const bob = await postroom.queue.handOver({ ...basic, sender: { email: 'bob@corp.example' } }, 'test');
    await postroom.dispatcher.runCampaign();
    const e = await postroom.queue.show(bob.id);
    assert.equal(e.status, 'failed');
    message = e.lastReply ?? '';
    for (const re of [/554 5\.2\.252 SendAsDenied/, /Add-RecipientPermission -Identity <from address> -Trustee <signed-in mailbox> -AccessRights SendAs/, /Force postmaster as sender of all emails/]) assert.match(message, re);
  });

  it("derives every Microsoft endpoint from the microsoftCloud setting (Microsoft's national-cloud tables)", () => {
    const expected: Record<string, [string, string, string, string, string, boolean]> = {
      worldwide: ['https://login.microsoftonline.com', 'https://graph.microsoft.com', 'https://graph.microsoft.com/.default', 'smtp.office365.com', 'https://outlook.office365.com/.default', true],
      'gcc-high': ['https://login.microsoftonline.us', 'https://graph.microsoft.us', 'https://graph.microsoft.us/.default', 'smtp.office365.us', 'https://outlook.office365.us/.default', false],
      dod: ['https://login.microsoftonline.us', 'https://dod-graph.microsoft.us', 'https://dod-graph.microsoft.us/.default', 'smtp.office365.us', 'https://outlook.office365.us/.default', false],
      china: ['https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn/.default', 'smtp.partner.outlook.cn', 'https://partner.outlook.cn/.default', true],
    };
    for (const [cloud, [login, graph, graphScope, smtpHost, smtpScope, sessions]] of Object.entries(expected)) {
      assert.deepEqual(microsoftEndpoints({}, cloud), { loginUrl: login, graphUrl: graph, graphScope, smtpHost, smtpScope, uploadSessions: sessions }, cloud);
      const settings = { ...defaultEmailSettings(), microsoftCloud: cloud, tenantId: 't', clientId: 'c', clientSecret: 's', postmaster: POSTMASTER };
      assert.equal(createRoute({ ...settings, useOAuth: true }, {}, microsoftEndpoints({}, cloud)).description, `SMTP ${smtpHost}:587 (STARTTLS) with OAuth 2.0`, `${cloud}: the SMTP host follows`);
      assert.equal(createRoute({ ...settings, useGraph: true }, {}, microsoftEndpoints({}, cloud)).description, `Microsoft Graph ${graph}`);
    }
    // The environment only points them at a stand-in.
    assert.deepEqual(microsoftEndpoints({ POSTROOM_MS_LOGIN_URL: 'https://localhost:1/', POSTROOM_GRAPH_URL: 'https://localhost:2', POSTROOM_MS_SMTP_SCOPE: 'https://localhost:3/.default' }, 'china'), {
      loginUrl: 'https://localhost:1',
      graphUrl: 'https://localhost:2',
      graphScope: 'https://localhost:2/.default',
      smtpHost: 'smtp.partner.outlook.cn',
      smtpScope: 'https://localhost:3/.default',
      uploadSessions: true,
    });
  });
});
