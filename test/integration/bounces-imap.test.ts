// Bounce processing against a real IMAP server (Debian's Dovecot): the postmaster's mailbox holds
// reports among ordinary mail and auto-replies; Postroom reads only what is new, records what it can
// match, moves only the reports, deletes nothing, marks nothing read, and never stops sending.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { SKIP_POSTGRES, captureLog, createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { privatePki, testPki } from '../helpers/pki.js';
import { fillFixture, type SentFacts } from '../helpers/reports.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { createMetrics } from '../../src/http/metrics.js';

const POSTMASTER = 'postmaster@example.com';
const PASSWORD = 'Mailbox-Pa55';
const ADMIN = { kind: 'admin' as const, actor: 'admin:test' };

function ordinary(i: number): string {
  return [
    `From: "Customer ${i}" <customer${i}@example.org>`,
    `To: ${POSTMASTER}`,
    `Subject: Question about order ${i}`,
    `Message-ID: <order-${i}@example.org>`,
    'Date: Sun, 06 Dec 2026 08:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, where is my order ${i}?`,
    '',
  ].join('\r\n');
}

describe('bounce processing over IMAP (Dovecot)', () => {
  let dovecot: DovecotServer;
  let sink: SmtpSink;
  let db: TestDatabase | undefined;
  let p: Postroom | undefined;

  before(async () => {
    testPki();
    dovecot = await startDovecot({ users: { [POSTMASTER]: PASSWORD } });
    sink = await startSmtpSink({ auth: { user: POSTMASTER, pass: PASSWORD }, dsn: true });
  });
  after(async () => {
    await dovecot?.close();
    await sink?.close();
  });
  afterEach(async () => {
    await p?.close();
    await db?.cleanup();
    p = undefined;
    db = undefined;
  });

  /** Postroom sending through the sink as the postmaster, reading the postmaster's mailbox on `dovecot`. */
  async function open(extra: Record<string, unknown> = {}, logger = captureLog().logger): Promise<Postroom> {
    db = await createTestDatabase('sqlite');
    p = await openTestPostroom(db, { logger, dispatcher: { route: { ca: testPki().caPem } } });
    // imapHost left empty: the SMTP server's own host, where the SMTP login and password are used too.
    await p.settings.update(
      sinkSettings(sink.port, { smtpUser: POSTMASTER, smtpPassword: PASSWORD, postmaster: POSTMASTER, bounceProcessing: true, imapPort: dovecot.imapPort, ...extra }),
      'test',
    );
    return p;
  }

  async function send(postroom: Postroom, to: string[], subject: string): Promise<SentFacts & { id: number }> {
    const { id, messageId } = await postroom.queue.handOver({ to, subject, text: 'Your invoice is attached.' }, 'test');
    return { id, postmaster: POSTMASTER, tag: postroom.tags.tag(id, messageId), messageId, recipients: to, subject };
  }

  it('records the reports it can match, moves only reports, leaves the rest unread where it was, and reads only what is new', async () => {
    const postroom = await open();
    const metrics = createMetrics(postroom);
    const receiver = await startWebhookReceiver();
    try {
      await postroom.webhooks.create({ allowPrivateTarget: true, url: receiver.url, events: ['email.bounced', 'email.delayed'] }, ADMIN);
      const one = await send(postroom, ['carol@example.net'], 'Invoice 1');
      const two = await send(postroom, ['alice@example.net', 'bob@example.net'], 'Invoice 2');
      const three = await send(postroom, ['dave@example.net'], 'Invoice 3');
      assert.equal((await postroom.dispatcher.runCampaign()).outcome.state, 'ran');
      await sink.waitFor(3);

      const before = (await dovecot.messages(POSTMASTER)).length;
      for (let i = 0; i < 30; i++) await dovecot.deliver(POSTMASTER, ordinary(i));
      await dovecot.deliver(POSTMASTER, fillFixture('03-gmail-5-1-1-no-such-user.eml', one));
      await dovecot.deliver(POSTMASTER, fillFixture('11-sendmail-two-recipients-failed-and-delayed.eml', two));
      await dovecot.deliver(POSTMASTER, fillFixture('08-exchange-online-delivery-delayed-4-4-7.eml', three));
      await dovecot.deliver(POSTMASTER, fillFixture('12-postfix-forged-postroom-id-wrong-mac-unmatched.eml', three));
      for (const f of ['09-exchange-online-automatic-reply-oof.eml', '10-rfc3834-vacation-auto-reply.eml', '17-thunderbird-read-receipt-mdn.eml', '20-colleague-forwards-undeliverable-fyi.eml']) {
        await dovecot.deliver(POSTMASTER, fillFixture(f, one));
      }

      const first = await postroom.bounces.checkNow();
      assert.equal(first.state, 'done', JSON.stringify(first));
      assert.equal(first.state === 'done' && first.counts.seen, before + 38);
      assert.deepEqual(first.state === 'done' && { matched: first.counts.matched, unmatched: first.counts.unmatched, hard: first.counts.hard, delayed: first.counts.delayed }, { matched: 3, unmatched: 1, hard: 2, delayed: 2 });

      assert.equal((await postroom.queue.show(one.id)).status, 'bounced');
      const e2 = await postroom.queue.show(two.id);
      assert.deepEqual([e2.status, e2.recipients.map((r) => r.state)], ['sent', ['bounced', 'accepted']]);
      assert.equal(e2.recipients[1]?.delayed?.status, '4.2.2');
      const e3 = await postroom.queue.show(three.id);
      assert.deepEqual([e3.status, e3.recipients[0]?.state, e3.recipients[0]?.delayed?.status], ['sent', 'accepted', '4.4.7']);

      // Only the reports moved; nothing deleted; nothing marked read.
      const processed = await dovecot.messages(POSTMASTER, 'Postroom/Processed');
      const unmatched = await dovecot.messages(POSTMASTER, 'Postroom/Unmatched');
      const inbox = await dovecot.messages(POSTMASTER);
      assert.equal(processed.length, 3);
      assert.equal(unmatched.length, 1);
      assert.equal(inbox.length, before + 34, 'the 30 ordinary messages and 4 non-reports stay in INBOX');
      assert.ok(inbox.every((m) => !m.flags.includes('\\Seen')), 'nothing in INBOX was marked read');
      assert.ok(unmatched[0]?.raw.toString('utf8').includes('0123456789ab0123456789ab'), 'the forged report is the unmatched one');

      // Webhooks: one email.bounced per bounced recipient, one email.delayed per delayed one, with the report's facts.
      await postroom.deliverer.round();
      const events = await receiver.waitFor(4);
      const bounced = events.filter((e) => e.body.type === 'email.bounced').map((e) => e.body.data);
      assert.deepEqual(bounced.map((d) => [d.email.id, d.recipient?.recipient, d.recipient?.type, d.recipient?.status]).sort(), [
        [one.id, 'carol@example.net', 'hard', '5.1.1'],
        [two.id, 'alice@example.net', 'hard', '5.1.1'],
      ].sort());
      assert.match(bounced.find((d) => d.email.id === one.id)?.recipient?.diagnostic ?? '', /550-5\.1\.1/);
      assert.equal(bounced.find((d) => d.email.id === one.id)?.email.status, 'bounced');
      const delayed = events.filter((e) => e.body.type === 'email.delayed').map((e) => [e.body.data.email.id, e.body.data.recipient?.recipient]);
      assert.deepEqual(delayed.sort(), [[two.id, 'bob@example.net'], [three.id, 'dave@example.net']].sort());

      // A later check lists only what arrived since: nothing, then the one new message.
      const second = await postroom.bounces.checkNow();
      assert.deepEqual(second.state === 'done' && [second.counts.seen, second.counts.read], [0, 0]);
      // The same report again (a provider that sends it twice): recorded once, still moved.
      await dovecot.deliver(POSTMASTER, fillFixture('03-gmail-5-1-1-no-such-user.eml', one));
      const third = await postroom.bounces.checkNow();
      assert.deepEqual(third.state === 'done' && [third.counts.seen, third.counts.duplicates, third.counts.matched], [1, 1, 0]);
      assert.equal((await postroom.queue.show(one.id)).reports.length, 1);
      assert.equal((await dovecot.messages(POSTMASTER, 'Postroom/Processed')).length, 4);
      await postroom.deliverer.round();
      assert.equal(receiver.received.filter((e) => e.body.type === 'email.bounced').length, 2, 'no second event for the same report');

      const scraped = await metrics.metrics();
      for (const line of ['postroom_bounces_total{type="hard"} 2', 'postroom_bounces_total{type="delayed"} 2', 'postroom_bounces_total{type="policy"} 0', 'postroom_delivery_reports_total{result="matched"} 3', 'postroom_delivery_reports_total{result="unmatched"} 1', 'postroom_delivery_reports_total{result="duplicate"} 1']) {
        assert.ok(scraped.includes(line), `metrics say ${line}`);
      }
      const status = await postroom.bounces.status();
      assert.equal(status.error, null);
      assert.equal(status.matchedTotal, 3);
      assert.equal(status.unmatchedTotal, 1);
      assert.deepEqual(status.last24h, { hard: 2, soft: 0, policy: 0, delayed: 2 });
      assert.match(status.mailbox ?? '', /IMAP postmaster@example\.com on localhost:\d+ \(STARTTLS\)/);
    } finally {
      await receiver.close();
    }
  });

  it('reads a mailbox on 993 with TLS from the first byte', async () => {
    const tls993 = await startDovecot({ users: { [POSTMASTER]: PASSWORD }, imapsPort: 993 });
    try {
      const postroom = await open({ imapPort: 993 });
      const one = await send(postroom, ['erin@example.net'], 'Invoice 993');
      await postroom.dispatcher.runCampaign();
      await tls993.deliver(POSTMASTER, fillFixture('15-postfix-undelivered-5-1-1-user-unknown.eml', one));
      const outcome = await postroom.bounces.checkNow();
      assert.equal(outcome.state, 'done', JSON.stringify(outcome));
      assert.equal((await postroom.queue.show(one.id)).status, 'bounced');
      assert.match((await postroom.bounces.status()).mailbox ?? '', /:993 \(TLS\)/);
    } finally {
      await tls993.close();
    }
  });

  it('a mailbox it cannot read says why, and sending goes on: no STARTTLS, a wrong password, an untrusted certificate', async () => {
    const plain = await startDovecot({ users: { [POSTMASTER]: PASSWORD }, startTls: false });
    const foreign = await startDovecot({ users: { [POSTMASTER]: PASSWORD }, pki: privatePki('Mailbox Private CA') });
    try {
      const postroom = await open({ imapPort: plain.imapPort });
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ imapPort: plain.imapPort }, /does not offer STARTTLS, so Postroom did not sign in/],
        [{ imapPort: dovecot.imapPort, imapUser: POSTMASTER, imapPassword: 'wrong' }, /refused the sign-in .*check IMAP user and IMAP password/],
        [{ imapPort: foreign.imapPort, imapUser: '', imapPassword: '' }, /certificate is not trusted .*SMTP server's CA certificate/],
      ];
      for (const [settings, why] of cases) {
        await postroom.settings.update(settings, 'test');
        const outcome = await postroom.bounces.checkNow();
        assert.equal(outcome.state, 'error');
        assert.match(outcome.state === 'error' ? outcome.message : '', why);
        assert.match((await postroom.bounces.status()).error ?? '', why);
        assert.ok(!(outcome.state === 'error' ? outcome.message : '').includes(PASSWORD) && !(outcome.state === 'error' ? outcome.message : '').includes('wrong'), 'no password in the message');
        // Sending is untouched.
        const e = await send(postroom, ['frank@example.net'], 'Still sent');
        await postroom.dispatcher.runCampaign();
        assert.equal((await postroom.queue.show(e.id)).status, 'sent');
      }
      // The company's CA pasted in for SMTP is trusted for its mailbox too.
      // With the password again: it was saved for connections that did not trust that CA.
      await postroom.settings.update({ smtpCaCertificate: privatePki('Mailbox Private CA').caPem, smtpPassword: PASSWORD }, 'test');
      assert.equal((await postroom.bounces.checkNow()).state, 'done');
    } finally {
      await plain.close();
      await foreign.close();
    }
  });

  it("never gives the SMTP password to an IMAP host other than the SMTP server's", async () => {
    let connections = 0;
    const catcher = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => catcher.listen(0, '127.0.0.1', r));
    try {
      const postroom = await open({ imapHost: '127.0.0.1', imapPort: (catcher.address() as net.AddressInfo).port });
      const outcome = await postroom.bounces.checkNow();
      assert.equal(outcome.state, 'error');
      assert.match(outcome.state === 'error' ? outcome.message : '', /IMAP password is required: the SMTP password is only used for the SMTP account on its own server's IMAP host \(localhost\)/);
      assert.equal(connections, 0, 'no connection was even made');
      const view = await postroom.settings.view();
      assert.deepEqual(view.warnings.map((w) => w.key), ['imapPassword']);
      assert.deepEqual(view.problems, [], 'a mailbox that cannot be read never stops sending');
    } finally {
      catcher.close();
    }
  });
});

describe('two instances on one PostgreSQL database', { skip: SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, () => {
  it('read the mailbox one at a time: one checks, the other is told another instance is busy, each report recorded once', async () => {
    const dovecot = await startDovecot({ users: { [POSTMASTER]: PASSWORD } });
    const sink = await startSmtpSink({ auth: { user: POSTMASTER, pass: PASSWORD } });
    const db = await createTestDatabase('postgres');
    const a = await openTestPostroom(db, { dispatcher: { route: { ca: testPki().caPem } } });
    const b = await openTestPostroom(db, { dispatcher: { route: { ca: testPki().caPem } } });
    try {
      await a.settings.update(sinkSettings(sink.port, { smtpUser: POSTMASTER, smtpPassword: PASSWORD, postmaster: POSTMASTER, bounceProcessing: true, imapPort: dovecot.imapPort }), 'test');
      const facts: SentFacts[] = [];
      for (let i = 0; i < 10; i++) {
        const { id, messageId } = await a.queue.handOver({ to: [`pg${i}@example.net`], subject: `PG ${i}`, text: 'x' }, 'test');
        facts.push({ postmaster: POSTMASTER, tag: a.tags.tag(id, messageId), messageId, recipients: [`pg${i}@example.net`], subject: `PG ${i}` });
      }
      await a.dispatcher.runCampaign();
      for (let i = 0; i < 2_000; i++) await dovecot.deliver(POSTMASTER, ordinary(i));
      for (const f of facts) await dovecot.deliver(POSTMASTER, fillFixture('15-postfix-undelivered-5-1-1-user-unknown.eml', f));
      const [ra, rb] = await Promise.all([a.bounces.checkNow(), b.bounces.checkNow()]);
      assert.deepEqual([ra.state, rb.state].sort(), ['busy', 'done'], JSON.stringify([ra, rb]));
      assert.equal((await a.queue.list({ status: 'bounced' })).length, 10);
      // The other instance's next check finds nothing new: the cursor is shared.
      const next = await b.bounces.checkNow();
      assert.deepEqual(next.state === 'done' && [next.counts.seen, next.counts.matched], [0, 0]);
    } finally {
      await a.close();
      await b.close();
      await db.cleanup();
      await dovecot.close();
      await sink.close();
    }
  });
});
