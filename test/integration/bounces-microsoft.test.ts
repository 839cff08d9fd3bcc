// Bounce processing on the two Microsoft 365 routes: Exchange Online's IMAP with an app-only token
// (XOAUTH2; a real Dovecot whose token check is the Microsoft stand-in's, written from "Authenticate
// an IMAP, POP or SMTP connection using OAuth"), and the postmaster's Inbox through Microsoft Graph.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { captureLog, createTestDatabase, openTestPostroom, sinkSettings } from '../helpers/backends.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { EXCHANGE_SMTP_SCOPE, startMicrosoftStandIn, type MicrosoftStandIn } from '../helpers/microsoft-standin.js';
import { testPki } from '../helpers/pki.js';
import { fillFixture, type SentFacts } from '../helpers/reports.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const POSTMASTER = 'postmaster@example.com';
const SECRET = 'Mq8~standin-secret.for_bounce_tests';

const ordinary = (i: number) =>
  [`From: <customer${i}@example.org>`, `To: ${POSTMASTER}`, `Subject: Order ${i}`, `Message-ID: <o${i}@example.org>`, 'Content-Type: text/plain', '', `Order ${i}.`, ''].join('\r\n');

describe("bounces from the postmaster's Exchange Online mailbox", () => {
  const log = captureLog();
  const cleanups: (() => Promise<void>)[] = [];
  let standIn: MicrosoftStandIn;
  let p: Postroom;

  before(() => testPki());
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  after(() => {
    assert.ok(!log.lines.join('\n').includes(SECRET), 'no log line holds the client secret');
  });

  async function open(settings: Record<string, unknown>): Promise<Postroom> {
    const db = await createTestDatabase('sqlite');
    cleanups.push(() => db.cleanup());
    p = await openTestPostroom(db, { logger: log.logger, dispatcher: { route: { ca: testPki().caPem }, endpoints: standIn.endpoints } });
    cleanups.push(() => p.close());
    await p.settings.update({ tenantId: standIn.app.tenantId, clientId: standIn.app.clientId, clientSecret: SECRET, postmaster: POSTMASTER, bounceProcessing: true, ...settings }, 'test');
    return p;
  }

  async function send(to: string[], subject: string): Promise<SentFacts & { id: number }> {
    const { id, messageId } = await p.queue.handOver({ to, subject, text: 'Invoice.' }, 'test');
    return { id, postmaster: POSTMASTER, tag: p.tags.tag(id, messageId), messageId, recipients: to, subject };
  }

  it('IMAP with XOAUTH2: says which right is missing (IMAP.AccessAsApp, the service principal, FullAccess), then reads the mailbox', async () => {
    standIn = await startMicrosoftStandIn({ clientSecret: SECRET, servicePrincipalRegistered: false, mailboxAccess: [] });
    cleanups.push(() => standIn.close());
    const dovecot: DovecotServer = await startDovecot({ oauth2: { check: async (token, user) => standIn.checkImapAccess(token, user) } });
    cleanups.push(() => dovecot.close());
    const sink: SmtpSink = await startSmtpSink({ xoauth2: (_user, token) => standIn.tokenIsValid(token, EXCHANGE_SMTP_SCOPE) });
    cleanups.push(() => sink.close());
    await open(sinkSettings(sink.port, { useOAuth: true, postmaster: POSTMASTER, imapHost: 'localhost', imapPort: dovecot.imapPort }));

    // No IMAP.AccessAsApp: Test connection's mailbox step names the permission, before any sign-in.
    let test = await p.bounces.testMailbox();
    assert.equal(test.ok, false);
    assert.match(test.detail, /no IMAP\.AccessAsApp application permission .*Office 365 Exchange Online > Application permissions > IMAP\.AccessAsApp/);
    assert.equal(dovecot.oauthChecks.length, 0);

    // Granted now; the token Postroom holds predates it, so a refused sign-in asks for a fresh one.
    standIn.app.smtpRoles.push('IMAP.AccessAsApp');
    // No service principal in Exchange, then no FullAccess: refused, and the advice gives both steps.
    for (const [fix, missing] of [[() => undefined, /service principal/i], [() => (standIn.app.servicePrincipalRegistered = true), /FullAccess/]] as const) {
      fix();
      const outcome = await p.bounces.checkNow();
      assert.equal(outcome.state, 'error', JSON.stringify(outcome));
      assert.match(outcome.state === 'error' ? outcome.message : '', /refused the sign-in .*IMAP\.AccessAsApp.*New-ServicePrincipal.*Add-MailboxPermission/);
      const last = dovecot.oauthChecks.at(-1)?.result;
      assert.match(last && !last.ok ? last.reason : '', missing);
    }

    standIn.app.mailboxAccess = [POSTMASTER];
    const one = await send(['carol@example.net'], 'Invoice XO');
    assert.equal((await p.dispatcher.runCampaign()).outcome.state, 'ran');
    await dovecot.deliver(POSTMASTER, fillFixture('01-exchange-online-5-1-10-recipient-not-found.eml', one));
    test = await p.bounces.testMailbox();
    assert.deepEqual(test.ok, true, test.detail);
    const outcome = await p.bounces.checkNow();
    assert.equal(outcome.state, 'done', JSON.stringify(outcome));
    const e = await p.queue.show(one.id);
    assert.deepEqual([e.status, e.recipients[0]?.bounce?.type, e.recipients[0]?.bounce?.status], ['bounced', 'hard', '5.1.10']);
    assert.equal(dovecot.oauthChecks.at(-1)?.user, POSTMASTER, 'signed in as the postmaster mailbox');
    assert.match((await p.bounces.status()).mailbox ?? '', /OAuth 2\.0/);
  });

  it('Microsoft Graph: needs Mail.ReadWrite, then reads the Inbox by delta, downloads only reports, moves them, leaves the rest unread', async () => {
    standIn = await startMicrosoftStandIn({ clientSecret: SECRET, graphRoles: ['Mail.Send'] });
    cleanups.push(() => standIn.close());
    await open({ enabled: true, useGraph: true, forcePostmaster: true });

    const test = await p.bounces.testMailbox();
    assert.equal(test.ok, false);
    assert.match(test.detail, /no Mail\.ReadWrite application permission .*Microsoft Graph > Application permissions > Mail\.ReadWrite/);
    const refused = await p.bounces.checkNow();
    assert.equal(refused.state, 'error');
    assert.match(refused.state === 'error' ? refused.message : '', /Microsoft Graph refused .*403 ErrorAccessDenied.*Mail\.ReadWrite application permission/);

    // Granted now: the token Postroom holds predates it; a refusal makes it ask for a fresh one.
    standIn.app.graphRoles = ['Mail.Send', 'Mail.ReadWrite'];
    const one = await send(['carol@example.net'], 'Invoice G1');
    const two = await send(['alice@example.net', 'bob@example.net'], 'Invoice G2');
    assert.equal((await p.dispatcher.runCampaign()).outcome.state, 'ran');
    assert.deepEqual(standIn.sent.map((s) => s.internetMessageId).sort(), [one.messageId, two.messageId].sort(), 'Exchange kept our Message-IDs');

    for (let i = 0; i < 25; i++) standIn.deliverToMailbox(POSTMASTER, ordinary(i));
    standIn.deliverToMailbox(POSTMASTER, fillFixture('01-exchange-online-5-1-10-recipient-not-found.eml', one));
    standIn.deliverToMailbox(POSTMASTER, fillFixture('11-sendmail-two-recipients-failed-and-delayed.eml', two));
    standIn.deliverToMailbox(POSTMASTER, fillFixture('09-exchange-online-automatic-reply-oof.eml', one));
    standIn.deliverToMailbox(POSTMASTER, fillFixture('12-postfix-forged-postroom-id-wrong-mac-unmatched.eml', one));

    const first = await p.bounces.checkNow();
    assert.equal(first.state, 'done', JSON.stringify(first));
    assert.deepEqual(first.state === 'done' && [first.counts.seen, first.counts.read, first.counts.matched, first.counts.unmatched], [29, 3, 2, 1]);
    assert.equal(standIn.mimeDownloads, 3, 'only the three reports were downloaded');
    assert.equal((await p.queue.show(one.id)).status, 'bounced');
    assert.deepEqual((await p.queue.show(two.id)).recipients.map((r) => r.state), ['bounced', 'accepted']);
    assert.equal(standIn.messagesIn(POSTMASTER, 'Postroom/Processed').length, 2);
    assert.equal(standIn.messagesIn(POSTMASTER, 'Postroom/Unmatched').length, 1);
    const inbox = standIn.messagesIn(POSTMASTER, 'Inbox');
    assert.equal(inbox.length, 26, 'the ordinary messages and the out-of-office stay');
    assert.ok(inbox.every((m) => !m.isRead), 'none marked read');

    // The next check follows the delta link: nothing new, nothing downloaded; then only the new one.
    const second = await p.bounces.checkNow();
    assert.deepEqual(second.state === 'done' && [second.counts.seen, second.counts.read], [0, 0]);
    standIn.deliverToMailbox(POSTMASTER, ordinary(99));
    const third = await p.bounces.checkNow();
    assert.deepEqual(third.state === 'done' && [third.counts.seen, third.counts.read], [1, 0]);
    assert.equal(standIn.mimeDownloads, 3);
    assert.match((await p.bounces.status()).mailbox ?? '', /Microsoft Graph, mailbox postmaster@example\.com/);
  });
});
