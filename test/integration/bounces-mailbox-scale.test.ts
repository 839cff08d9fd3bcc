// The postmaster's mailbox as it really is: thousands of ordinary messages, and now and then a report
// that is huge, malformed or names thousands of recipients. A check reads only what is new, and bad
// input is logged and left where it is: never a crash, never a stalled check.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { captureLog, createTestDatabase, openTestPostroom, sinkSettings, type CapturedLog, type TestDatabase } from '../helpers/backends.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { testPki } from '../helpers/pki.js';
import { fillFixture, type SentFacts } from '../helpers/reports.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const POSTMASTER = 'postmaster@example.com';
const PASSWORD = 'Mailbox-Pa55';
const CRLF = '\r\n';

const ordinary = (i: number) =>
  [`From: <customer${i}@example.org>`, `To: ${POSTMASTER}`, `Subject: Order ${i}`, `Message-ID: <o${i}@example.org>`, 'Content-Type: text/plain', '', `Order ${i}.`, ''].join(CRLF);

/** A genuine-looking RFC 3464 report; `returned` is the third part's body (the original). */
function report(facts: SentFacts, opts: { recipients?: string[]; returned?: string; returnedType?: string } = {}): string {
  const recipients = opts.recipients ?? facts.recipients;
  const groups = recipients.map((r) => `Final-Recipient: rfc822; ${r}${CRLF}Action: failed${CRLF}Status: 5.1.1${CRLF}Diagnostic-Code: smtp; 550 5.1.1 <${r}>: User unknown${CRLF}`);
  return [
    'From: MAILER-DAEMON@mx.example.net',
    `To: ${POSTMASTER}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <report-${Math.random().toString(36).slice(2)}@mx.example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
    '',
    '--R',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--R',
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; mx.example.net${CRLF}`,
    groups.join(CRLF),
    '--R',
    `Content-Type: ${opts.returnedType ?? 'text/rfc822-headers'}`,
    '',
    opts.returned ?? `Message-ID: ${facts.messageId}${CRLF}X-Postroom-Id: ${facts.tag}${CRLF}Subject: ${facts.subject}${CRLF}`,
    '--R--',
    '',
  ].join(CRLF);
}

describe('a large, messy postmaster mailbox', () => {
  let dovecot: DovecotServer;
  let sink: SmtpSink;
  let db: TestDatabase;
  let p: Postroom;
  let log: CapturedLog;

  before(async () => {
    dovecot = await startDovecot({ users: { [POSTMASTER]: PASSWORD } });
    sink = await startSmtpSink({ auth: { user: POSTMASTER, pass: PASSWORD } });
    db = await createTestDatabase('sqlite');
    log = captureLog();
    p = await openTestPostroom(db, { logger: log.logger, dispatcher: { route: { ca: testPki().caPem } } });
    await p.settings.update(
      sinkSettings(sink.port, { smtpUser: POSTMASTER, smtpPassword: PASSWORD, postmaster: POSTMASTER, bounceProcessing: true, imapPort: dovecot.imapPort }),
      'test',
    );
  });
  after(async () => {
    await p?.close();
    await db?.cleanup();
    await dovecot?.close();
    await sink?.close();
  });

  async function send(to: string[], subject: string): Promise<SentFacts & { id: number }> {
    const { id, messageId } = await p.queue.handOver({ to, subject, text: 'Invoice.' }, 'test');
    return { id, postmaster: POSTMASTER, tag: p.tags.tag(id, messageId), messageId, recipients: to, subject };
  }

  it('10,000 ordinary messages and 50 reports: every report found, no ordinary message downloaded; the next check lists only what is new', async () => {
    const sent: (SentFacts & { id: number })[] = [];
    for (let i = 0; i < 50; i++) sent.push(await send([`r${i}@example.net`], `Invoice ${i}`));
    await p.dispatcher.runCampaign();
    for (let i = 0; i < 10_000; i++) {
      await dovecot.deliver(POSTMASTER, ordinary(i));
      if (i % 200 === 199) await dovecot.deliver(POSTMASTER, fillFixture('15-postfix-undelivered-5-1-1-user-unknown.eml', sent[(i - 199) / 200] as SentFacts));
    }
    const first = await p.bounces.checkNow();
    assert.equal(first.state, 'done', JSON.stringify(first));
    if (first.state !== 'done') return;
    assert.equal(first.counts.seen, 10_050);
    assert.equal(first.counts.read, 50, 'only the reports were downloaded');
    assert.equal(first.counts.matched, 50);
    assert.equal((await p.queue.list({ status: 'bounced', limit: 100 })).length, 50);

    await dovecot.deliver(POSTMASTER, ordinary(10_001));
    const later = await p.bounces.checkNow();
    assert.deepEqual(later.state === 'done' && [later.counts.seen, later.counts.read], [1, 0], 'only the one new message was listed');
    assert.equal((await dovecot.messages(POSTMASTER)).length, 10_001);
  });

  it('bad input is logged and left where it is, never stalls the check, and good reports beside it are still read', async () => {
    const good = await send(['good@example.net'], 'Good');
    const big = await send(['big@example.net'], 'Big');
    await p.dispatcher.runCampaign();
    const original = `Message-ID: ${big.messageId}${CRLF}X-Postroom-Id: ${big.tag}${CRLF}Subject: Big${CRLF}Content-Type: application/pdf${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}`;
    const line = `${'QUJD'.repeat(19)}${CRLF}`;
    // A report of 30 MB: the whole original came back (RET=FULL), a 30 MB file in it.
    await dovecot.deliver(POSTMASTER, report(big, { returnedType: 'message/rfc822', returned: original + line.repeat(Math.ceil(30_000_000 / line.length)) }));
    // 30 MB of text with a bounce's sender and subject and no status anywhere.
    await dovecot.deliver(
      POSTMASTER,
      `From: MAILER-DAEMON@mx.example.net${CRLF}To: ${POSTMASTER}${CRLF}Subject: Undelivered Mail Returned to Sender${CRLF}Content-Type: text/plain${CRLF}${CRLF}${'x'.repeat(76)}${CRLF}`.padEnd(30_000_000, 'y'),
    );
    // A multipart/report whose parts never start (its boundary is nowhere).
    await dovecot.deliver(POSTMASTER, `From: MAILER-DAEMON@mx.example.net${CRLF}Subject: failure notice${CRLF}Content-Type: multipart/report; report-type=delivery-status; boundary="never"${CRLF}${CRLF}--other${CRLF}garbage${CRLF}`);
    // A report naming 10,000 recipients.
    await dovecot.deliver(POSTMASTER, report(good, { recipients: Array.from({ length: 10_000 }, (_, i) => `x${i}@example.net`) }));
    await dovecot.deliver(POSTMASTER, report(good));

    const started = Date.now();
    const outcome = await p.bounces.checkNow();
    assert.equal(outcome.state, 'done', JSON.stringify(outcome));
    if (outcome.state !== 'done') return;
    assert.ok(Date.now() - started < 60_000, 'the check ended');
    assert.deepEqual([outcome.counts.read, outcome.counts.matched, outcome.counts.unreadable], [5, 2, 3]);
    // The 30 MB report was read from its first MiB only, which holds its report.
    const e = await p.queue.show(big.id);
    assert.equal(e.status, 'bounced');
    assert.equal(e.reports[0]?.rawTruncated, true);
    assert.equal((await p.queue.reports.raw(big.id, e.reports[0]?.id ?? 0))?.raw.length, 64 * 1024, 'its first 64 KiB kept to read');
    assert.equal((await p.queue.show(good.id)).status, 'bounced', 'the good report after the bad ones was read');
    // The three bad ones stay in INBOX, each with a log line saying why.
    const inbox = await dovecot.messages(POSTMASTER);
    const left = inbox.filter((m) => /MAILER-DAEMON/.test(m.raw.subarray(0, 200).toString('latin1')));
    assert.equal(left.length, 3);
    const why = log.lines.map((l) => JSON.parse(l) as { msg: string; why?: string }).filter((l) => l.msg === 'a delivery report could not be read; left in the mailbox').map((l) => l.why ?? '');
    assert.equal(why.length, 3);
    assert.ok(why.some((w) => /no readable status code \(only its first 1048576 bytes were read\)/.test(w)), why.join(' | '));
    assert.ok(why.some((w) => /names more recipients \(\d+\) than an e-mail can have \(500\)/.test(w)), why.join(' | '));
  });
});

describe('a stop in the middle of a long first check', () => {
  it('stops within seconds, and the next start reads the rest: every report recorded once, none left behind', async () => {
    const dovecot = await startDovecot({ users: { [POSTMASTER]: PASSWORD } });
    const sink = await startSmtpSink({ auth: { user: POSTMASTER, pass: PASSWORD } });
    const db = await createTestDatabase('sqlite');
    const open = () => openTestPostroom(db, { dispatcher: { route: { ca: testPki().caPem } } });
    let p = await open();
    try {
      await p.settings.update(
        sinkSettings(sink.port, { smtpUser: POSTMASTER, smtpPassword: PASSWORD, postmaster: POSTMASTER, bounceProcessing: true, imapPort: dovecot.imapPort }),
        'test',
      );
      const sent: (SentFacts & { id: number })[] = [];
      for (let i = 0; i < 20; i++) {
        const { id, messageId } = await p.queue.handOver({ to: [`s${i}@example.net`], subject: `Stop ${i}`, text: 'x' }, 'test');
        sent.push({ id, postmaster: POSTMASTER, tag: p.tags.tag(id, messageId), messageId, recipients: [`s${i}@example.net`], subject: `Stop ${i}` });
      }
      await p.dispatcher.runCampaign();
      for (let i = 0; i < 8_000; i++) {
        await dovecot.deliver(POSTMASTER, ordinary(i));
        if (i % 400 === 399) await dovecot.deliver(POSTMASTER, fillFixture('15-postfix-undelivered-5-1-1-user-unknown.eml', sent[(i - 399) / 400] as SentFacts));
      }
      const check = p.bounces.checkNow();
      await new Promise((r) => setTimeout(r, 1_500));
      const stopping = Date.now();
      await p.close();
      const first = await check;
      assert.ok(Date.now() - stopping < 5_000, `stopped in ${Date.now() - stopping} ms`);
      const partly = first.state === 'done' ? first.counts.matched : -1;
      assert.ok(partly >= 0 && partly < 20, `the check was cut short (${partly} of 20 matched)`);

      p = await open();
      const rest = await p.bounces.checkNow();
      assert.equal(rest.state, 'done', JSON.stringify(rest));
      assert.equal(rest.state === 'done' && rest.counts.matched, 20 - partly, 'the next start read the rest');
      for (const e of sent) assert.equal((await p.queue.show(e.id)).reports.length, 1, `e-mail ${e.id} has its one report`);
      assert.equal((await dovecot.messages(POSTMASTER, 'Postroom/Processed')).length, 20);
    } finally {
      await p.close();
      await db.cleanup();
      await dovecot.close();
      await sink.close();
    }
  });
});
