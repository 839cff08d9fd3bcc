// Every delivery-report fixture (written from the RFCs and the providers' formats), filled in for an
// e-mail Postroom really sent through an SMTP server, then read, matched and recorded as the mailbox
// check does: what the administrator and the host application see of each recipient afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { matchReport, mayBeReport, readReport } from '../../src/bounces/index.js';
import { LIMITS, type RecipientReport } from '../../src/queue/index.js';
import { BACKENDS, SKIP_POSTGRES, createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { FIXTURES, fillFixture, fixtureRecipient, topHeaders, type Fixture, type SentFacts } from '../helpers/reports.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const POSTMASTER = 'postmaster@example.com';

for (const backend of BACKENDS) describe(`delivery reports, fixture by fixture (${backend})`, { skip: backend === 'postgres' && SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, () => {
  let sink: SmtpSink;
  let db: TestDatabase;
  let p: Postroom;
  const sent = new Map<string, SentFacts & { id: number }>();

  before(async () => {
    sink = await startSmtpSink({ dsn: true });
    db = await createTestDatabase(backend);
    p = await openTestPostroom(db, { dispatcher: { route: { ca: testPki().caPem } } });
    await p.settings.update(sinkSettings(sink.port, { postmaster: POSTMASTER }), 'test');
    for (const [i, f] of FIXTURES.entries()) {
      const two = f.recipients.some((r) => r.recipient === '{{RCPT2}}');
      const recipients = two ? [`alice${i}@example.net`, `bob${i}@example.net`] : [`carol${i}@example.net`];
      const subject = `Invoice ${1000 + i}`;
      const { id, messageId } = await p.queue.handOver({ to: recipients, subject, text: 'Please find your invoice.' }, 'test');
      sent.set(f.file, { id, postmaster: POSTMASTER, tag: p.tags.tag(id, messageId), messageId, recipients, subject });
    }
    const report = await p.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'ran', JSON.stringify(report.outcome));
    await sink.waitFor(FIXTURES.length);
  });
  after(async () => {
    await p?.close();
    await db?.cleanup();
    await sink?.close();
  });

  it('tags what it sends: X-Postroom-Id with its MAC, and DSN asked for failures and delays, headers only, under that id', () => {
    for (const facts of sent.values()) {
      const message = sink.messages.find((m) => m.parsed.messageId === facts.messageId);
      assert.ok(message, `sent ${facts.messageId}`);
      assert.equal(message.parsed.headers.get('x-postroom-id'), facts.tag);
      assert.match(facts.tag, /^\d+\.[0-9a-f]{24}$/);
      assert.deepEqual(message.dsn, { ret: 'HDRS', envid: facts.tag, notify: facts.recipients.map(() => ['FAILURE', 'DELAY']) });
      assert.ok(p.tags.verify(facts.tag, facts.id, facts.messageId), 'the tag verifies');
      // The MAC binds the Message-ID: the same number on another e-mail does not verify.
      assert.equal(p.tags.verify(facts.tag, facts.id, '<another@example.com>'), false);
    }
  });

  it('before any report, every recipient of an e-mail the relay accepted is listed as accepted', async () => {
    const facts = [...sent.values()].find((s) => s.recipients.length === 2) as SentFacts & { id: number };
    const e = await p.queue.show(facts.id);
    assert.deepEqual(
      e.recipients.map((r) => [r.recipient, r.state]),
      facts.recipients.map((r) => [r, 'accepted']),
    );
    assert.equal(e.bounced, null);
  });

  for (const f of FIXTURES) {
    it(`${f.file}: ${expectation(f)}`, async () => {
      const facts = sent.get(f.file) as SentFacts & { id: number };
      const raw = fillFixture(f.file, facts);
      const before = await p.queue.show(facts.id);
      const reading = await readReport(raw, { maxRecipients: LIMITS.recipients });
      if (f.kind !== 'report') {
        assert.equal(reading.kind, 'not-report', JSON.stringify(reading).slice(0, 300));
        // Screened out from its headers alone: never downloaded, never marked read.
        assert.equal(mayBeReport(topHeaders(raw)), false, 'not even downloaded');
        return;
      }
      assert.equal(mayBeReport(topHeaders(raw)), true, 'downloaded to be read');
      assert.equal(reading.kind, 'report', JSON.stringify(reading).slice(0, 300));
      if (reading.kind !== 'report') return;
      assert.equal(reading.report.format, f.format);
      const match = await matchReport(reading.report, p.queue.reports, p.tags, Date.now());
      if (f.match.expected === 'unmatched') {
        assert.equal(match, null, 'names no e-mail of this Postroom');
        return;
      }
      assert.ok(match, 'matched');
      assert.equal(match.email.id, facts.id);
      assert.equal(match.by, f.match.by);
      const recorded = await p.queue.reports.record({
        emailId: match.email.id,
        fingerprint: reading.report.fingerprint,
        receivedAt: Date.now(),
        reportedAt: reading.report.reportedAt ?? Date.now(),
        matchedBy: match.by,
        reporter: reading.report.reporter,
        subject: reading.report.subject,
        recipients: match.recipients,
        raw: raw.toString('utf8'),
        rawTruncated: false,
      });
      assert.equal(recorded.recorded, true);
      const e = await p.queue.show(facts.id);
      for (const want of f.recipients) {
        // Fixture 18 names an SMTPUTF8 address no hand-over accepts: a one-recipient e-mail's report is about its one recipient.
        const address = want.recipient.startsWith('{{') ? fixtureRecipient(want, facts) : (facts.recipients[0] as string);
        const got = e.recipients.find((r) => r.recipient === address);
        assert.ok(got, `recipient ${address} listed`);
        const fact: RecipientReport | undefined = match.recipients.find((r) => r.recipient === address);
        assert.ok(fact, `the report speaks of ${address}`);
        assert.equal(fact.action, want.action);
        assert.equal(fact.status, want.status);
        assert.equal(fact.type, want.type);
        assert.ok((fact.diagnostic ?? '').includes(want.diagnosticIncludes), `diagnostic ${JSON.stringify(fact.diagnostic)} includes ${want.diagnosticIncludes}`);
        assert.equal(fact.reportingMta, want.reportingMta);
        assert.equal(fact.remoteMta, want.remoteMta);
        if (want.action === 'failed') {
          assert.equal(got.state, 'bounced');
          assert.equal(got.bounce?.type, want.type);
          assert.equal(got.bounce?.status, want.status);
        } else {
          assert.equal(got.state, 'accepted', 'a delay notice changes no state');
          assert.equal(got.delayed?.status, want.status);
        }
      }
      const allFailed = f.recipients.length === facts.recipients.length && f.recipients.every((r) => r.action === 'failed');
      assert.equal(e.status, allFailed ? 'bounced' : before.status, 'bounced when no recipient got it');
      assert.equal(e.reports.length, 1);
      assert.equal(e.reports[0]?.matchedBy, f.match.by);
      // Read again (the same report seen twice): nothing changes.
      const again = await p.queue.reports.record({
        emailId: match.email.id,
        fingerprint: reading.report.fingerprint,
        receivedAt: Date.now(),
        reportedAt: Date.now(),
        matchedBy: match.by,
        reporter: '',
        subject: '',
        recipients: match.recipients,
        raw: '',
        rawTruncated: false,
      });
      assert.equal(again.recorded, false);
      assert.equal((await p.queue.show(facts.id)).reports.length, 1);
    });
  }

  it('one of two recipients bounced: the e-mail stays sent and says "1 of 2 bounced"', async () => {
    const facts = sent.get('11-sendmail-two-recipients-failed-and-delayed.eml') as SentFacts & { id: number };
    const e = await p.queue.show(facts.id);
    assert.equal(e.status, 'sent');
    assert.match(e.bounced ?? '', /^1 of 2 bounced: .*5\.1\.1/);
    assert.deepEqual(
      e.recipients.map((r) => [r.state, Boolean(r.delayed)]),
      [['bounced', false], ['accepted', true]],
    );
  });

  it('lists bounced e-mails apart, and a retry sends only to the recipients that bounced', async () => {
    const bounced = await p.queue.list({ status: 'bounced' });
    const expected = FIXTURES.filter((f) => f.match.expected === 'matched' && f.recipients.every((r) => r.action === 'failed') && f.recipients.length === (sent.get(f.file)?.recipients.length ?? 0));
    assert.deepEqual(bounced.map((e) => e.id).sort((a, b) => a - b), expected.map((f) => sent.get(f.file)?.id).sort((a, b) => (a ?? 0) - (b ?? 0)));
    const facts = sent.get('15-postfix-undelivered-5-1-1-user-unknown.eml') as SentFacts & { id: number };
    const before = sink.messages.length;
    await p.queue.retry(facts.id);
    const e = await p.queue.show(facts.id);
    assert.equal(e.status, 'pending');
    assert.deepEqual(e.recipients.map((r) => r.state), ['pending'], 'the bounced recipient is owed a copy again');
    assert.equal(e.reports.length, 1, 'its report stays in the history');
    await p.dispatcher.runCampaign();
    const [again] = (await sink.waitFor(before + 1)).slice(before);
    assert.deepEqual(again?.to, facts.recipients);
    assert.equal((await p.queue.show(facts.id)).status, 'sent');
  });

  it('the purge takes the reports with their e-mails, and leaves those of e-mails still kept', async () => {
    const reports = async () => Number((await p.store.db.selectFrom('delivery_reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await reports();
    assert.ok(before > 0, 'reports were recorded');
    // Kept for one more day: nothing goes.
    assert.equal(await p.queue.purge(1), 0);
    assert.equal(await reports(), before);
    await new Promise((r) => setTimeout(r, 5));
    const purged = await p.queue.purge(0);
    assert.ok(purged >= sent.size - 1, `purged ${purged}`);
    assert.equal(await reports(), 0, 'no report outlives its e-mail');
  });
});

function expectation(f: Fixture): string {
  if (f.kind !== 'report') return `${f.kind}: never a bounce`;
  if (f.match.expected === 'unmatched') return 'names no e-mail (Unmatched)';
  return `${f.recipients.map((r) => (r.action === 'failed' ? `${r.type} ${r.status}` : `${r.action} ${r.status}`)).join(' + ')}, matched by ${f.match.by}`;
}
