// A company CA that only a setting trusts (not the system, not NODE_EXTRA_CA_CERTS, not the
// embedder's route.ca): SMTP to a relay with a certificate from it, and Microsoft's endpoints
// behind a TLS-inspecting proxy. Without the setting the route fails with the certificate
// message naming the setting; set at run time, the next campaign delivers (no restart).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { SettingsValidationError } from '../../src/settings/index.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { privatePki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startMicrosoftStandIn, type MicrosoftStandIn } from '../helpers/microsoft-standin.js';

const FAST = { backoff: { baseMs: 50, capMs: 200 }, leaseMs: 5_000 };
const basic = { to: ['alice@example.org'], subject: 'Through the company relay', text: 'Hello' };

describe('CA certificate settings (a private CA without a restart)', () => {
  let db: TestDatabase | undefined;
  let postroom: Postroom | undefined;
  let sink: SmtpSink | undefined;
  let standIn: MicrosoftStandIn | undefined;

  afterEach(async () => {
    await postroom?.close();
    await sink?.close();
    await standIn?.close();
    await db?.cleanup();
    postroom = sink = standIn = db = undefined;
  });

  it('SMTP: fails with the certificate message, then delivers once smtpCaCertificate holds the CA', async () => {
    const company = privatePki('Company Private CA');
    sink = await startSmtpSink({ certificate: company });
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: FAST }); // no route.ca: only the setting can trust it
    await postroom.settings.update(sinkSettings(sink.port), 'test');
    const { id } = await postroom.queue.handOver(basic, 'test');

    const before = await postroom.dispatcher.runCampaign();
    assert.equal(before.outcome.state, 'route-failing');
    const message = before.outcome.state === 'route-failing' ? before.outcome.message : '';
    assert.match(message, /certificate is not trusted/, message);
    assert.match(message, /SMTP server's CA certificate" \(smtpCaCertificate\)/, 'the message names the setting');
    assert.doesNotMatch(message, /NODE_EXTRA_CA_CERTS/, 'no restart with an environment variable is suggested');
    assert.equal((await postroom.queue.show(id)).status, 'pending', 'the e-mail waits');

    const view = await postroom.settings.update({ smtpCaCertificate: company.caPem }, 'admin');
    const [info] = view.certificates.smtpCaCertificate ?? [];
    assert.equal(info?.subject, 'CN=Company Private CA', 'the subject is shown');
    assert.match(info?.expiresAt ?? '', /^\d{4}-\d\d-\d\dT/, 'the expiry is shown');
    assert.equal(info?.isCA, true);

    const after = await postroom.dispatcher.runCampaign();
    assert.equal(after.outcome.state, 'ran', JSON.stringify(after.outcome));
    assert.equal(sink.messages.length, 1, 'delivered at the next campaign, without a restart');
    assert.equal(sink.messages[0]?.secure, true, 'over TLS');
    assert.equal((await postroom.queue.show(id)).status, 'sent');
  });

  it('a bad PEM is refused with a field error naming why, and nothing stored changes', async () => {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: FAST });
    const company = privatePki('Company Private CA');
    await postroom.settings.update({ smtpCaCertificate: company.caPem }, 'admin');
    const refused = async (value: string): Promise<string> => {
      const p = postroom as Postroom;
      const err = await p.settings.update({ smtpCaCertificate: value }, 'admin').then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof SettingsValidationError, `"${value.slice(0, 30)}…" is refused`);
      assert.equal(err.errors[0]?.key, 'smtpCaCertificate');
      return err.errors[0]?.message ?? '';
    };
    assert.match(await refused('just some text'), /is not a PEM certificate \(it should start with -----BEGIN CERTIFICATE-----\)/);
    assert.match(await refused(company.keyPem), /private key: paste only the CA's certificate/);
    const damaged = company.caPem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!');
    assert.match(await refused(damaged), /cannot be read as a certificate/);
    assert.match(await refused(`${company.caPem}\nhello`), /text outside/);
    const kept = await postroom.settings.view();
    assert.equal(kept.settings.smtpCaCertificate, company.caPem.trim(), 'the stored certificate is unchanged');
    assert.match(await postroom.settings.update({ smtpCaCertificate: '' }, 'admin').then((v) => String(v.settings.smtpCaCertificate)), /^$/, 'cleared with ""');
  });

  it('Microsoft behind a TLS-inspecting proxy: the token fails naming microsoftCaCertificate, then Graph delivers', async () => {
    const proxy = privatePki('Inspecting Proxy CA');
    const secret = 'graph-secret-value';
    standIn = await startMicrosoftStandIn({ clientSecret: secret }, proxy);
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { ...FAST, endpoints: standIn.endpoints } });
    await postroom.settings.update(
      {
        enabled: true,
        useGraph: true,
        tenantId: standIn.app.tenantId,
        clientId: standIn.app.clientId,
        clientSecret: secret,
        postmaster: 'postmaster@contoso.com',
        campaignIntervalSeconds: 1,
      },
      'test',
    );
    const { id } = await postroom.queue.handOver(basic, 'test');
    const before = await postroom.dispatcher.runCampaign();
    assert.equal(before.outcome.state, 'route-failing');
    const message = before.outcome.state === 'route-failing' ? before.outcome.message : '';
    assert.match(message, /microsoftCaCertificate/, message);
    assert.equal((await postroom.queue.show(id)).status, 'pending');

    // The secret was saved for connections without that CA: it is given again with it (bound to how it travels).
    await postroom.settings.update({ microsoftCaCertificate: proxy.caPem, clientSecret: secret }, 'admin');
    const after = await postroom.dispatcher.runCampaign();
    assert.equal(after.outcome.state, 'ran', JSON.stringify(after.outcome));
    assert.equal((await postroom.queue.show(id)).status, 'sent');
    assert.equal(standIn.tokensIssued, 1, 'the token came through the proxy CA');
  });
});
