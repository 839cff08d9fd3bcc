// The whole way round with a real relay: Postroom sends through Debian's Postfix, which accepts every
// recipient, then bounces one (its error transport) and keeps retrying another; Postfix's own RFC 3464
// reports land in the postmaster's Maildir, Dovecot serves it, and Postroom reads what happened.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { createMailRoot, startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { testPki } from '../helpers/pki.js';
import { startPostfix, type PostfixRelay } from '../helpers/postfix.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/waiting.js';

const POSTMASTER = 'postmaster@example.com';
const MAILBOX_PASSWORD = 'Mailbox-Pa55';

describe('genuine Postfix bounces, read back from the postmaster mailbox', () => {
  let target: SmtpSink;
  let relay: PostfixRelay;
  let dovecot: DovecotServer;
  let db: TestDatabase;
  let p: Postroom;

  before(async () => {
    const mailRoot = createMailRoot();
    dovecot = await startDovecot({ mailRoot, users: { [POSTMASTER]: MAILBOX_PASSWORD } });
    target = await startSmtpSink();
    relay = await startPostfix({
      relayPort: target.port,
      senders: [POSTMASTER],
      bounces: { mailRoot, localMailboxes: [POSTMASTER], refuse: { 'nobody@example.net': '5.1.1 User unknown' }, defer: ['slow@example.net'], delayWarningSeconds: 3 },
    });
    db = await createTestDatabase('sqlite');
    p = await openTestPostroom(db, { dispatcher: { route: { ca: testPki().caPem } } });
    await p.settings.update(
      sinkSettings(relay.port, {
        smtpUser: relay.login,
        smtpPassword: relay.password,
        postmaster: POSTMASTER,
        bounceProcessing: true,
        imapPort: dovecot.imapPort,
        imapUser: POSTMASTER,
        imapPassword: MAILBOX_PASSWORD,
      }),
      'test',
    );
  });
  after(async () => {
    await p?.close();
    await db?.cleanup();
    await relay?.close();
    await dovecot?.close();
    await target?.close();
  });

  it('the relay said 250 to all three; the mailbox says one bounced for good and one is delayed', async () => {
    const { id, messageId } = await p.queue.handOver({ to: ['alice@example.org', 'nobody@example.net', 'slow@example.net'], subject: 'Invoice 77', text: 'Attached.' }, 'test');
    const campaign = await p.dispatcher.runCampaign();
    assert.equal(campaign.outcome.state, 'ran', JSON.stringify(campaign.outcome));
    const sent = await p.queue.show(id);
    assert.equal(sent.status, 'sent');
    assert.deepEqual(sent.recipients.map((r) => r.state), ['accepted', 'accepted', 'accepted'], 'what the relay said');

    // Postfix's bounce and, a few seconds later, its delay notice arrive in the Maildir.
    await until(async () => (await dovecot.messages(POSTMASTER)).length >= 2, 30_000, "Postfix's bounce and delay notice in the Maildir");
    const outcome = await p.bounces.checkNow();
    assert.equal(outcome.state, 'done', JSON.stringify(outcome));

    const e = await p.queue.show(id);
    assert.equal(e.status, 'sent', 'alice got it');
    const [alice, nobody, slow] = e.recipients;
    assert.equal(alice?.state, 'accepted');
    assert.equal(nobody?.state, 'bounced');
    assert.deepEqual(nobody?.bounce && [nobody.bounce.type, nobody.bounce.status, nobody.bounce.reportingMta], ['hard', '5.1.1', 'relay.example.com']);
    assert.match(nobody?.bounce?.diagnostic ?? '', /User unknown/);
    assert.equal(slow?.state, 'accepted');
    assert.equal(slow?.delayed?.status, '4.4.1');
    assert.match(e.bounced ?? '', /^1 of 3 bounced/);

    // What Postroom asked for came back: the envelope id, and the original's headers only.
    assert.equal(e.reports.length, 2);
    for (const r of e.reports) {
      assert.equal(r.matchedBy, 'postroom-id');
      const raw = await p.queue.reports.raw(id, r.id);
      assert.match(raw?.raw ?? '', new RegExp(`Original-Envelope-Id: ${p.tags.tag(id, messageId).replace('.', '\\.')}`));
      assert.match(raw?.raw ?? '', /Content-Type: text\/rfc822-headers/);
      assert.doesNotMatch(raw?.raw ?? '', /^Attached\.$/m, 'the body did not come back (RET=HDRS)');
    }
    assert.equal((await dovecot.messages(POSTMASTER, 'Postroom/Processed')).length, 2);
  });
});
