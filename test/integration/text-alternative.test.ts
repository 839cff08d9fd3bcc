// An e-mail handed over with an HTML body only leaves with a text/plain alternative made from the
// HTML (links kept, images left out), over SMTP, through Graph and as an Outlook (New) draft; a
// text the host gave is kept.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { OutlookDrafts } from '../../src/outlook/drafts.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startMicrosoftStandIn, type MicrosoftStandIn } from '../helpers/microsoft-standin.js';

const FAST = { backoff: { baseMs: 50, capMs: 200 }, leaseMs: 5_000 };
const HTML = `<html><head><style>p { color: #333 }</style></head><body>
<h1>Invoice 42</h1><p>Dear Alice,</p>
<p>Your invoice is ready: <a href="https://example.org/invoice/42">read the invoice</a>.</p>
<ul><li>Amount: 120&nbsp;&euro;</li><li>Due: 31 December</li></ul>
<img src="https://tracker.example.net/pixel.gif" alt=""><p>Thanks,<br>Accounts</p></body></html>`;
const htmlOnly = { to: ['alice@example.org'], subject: 'Invoice 42', html: HTML };

/** What a reader of the text part sees: the words, the link's address, no markup, no image address. */
function assertReadable(text: string | undefined): void {
  assert.ok(text, 'the message has a text/plain part');
  assert.match(text, /^Invoice 42$/m, text);
  assert.match(text, /Dear Alice,/);
  assert.match(text, /read the invoice \[https:\/\/example\.org\/invoice\/42\]/, 'the link is kept with its address');
  assert.match(text, /^ \* Amount: 120\s€$/m, 'list items read as a list');
  assert.match(text, /Thanks,\nAccounts/, 'a <br> is a line break');
  assert.doesNotMatch(text, /<[a-z]|color: #333|pixel\.gif/i, 'no markup, no style, no image address');
}

describe('text/plain alternative for an HTML-only e-mail', () => {
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

  it('SMTP: the received message has both parts, the text one readable; a host-given text is kept as given', async () => {
    sink = await startSmtpSink();
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { ...FAST, route: { ca: testPki().caPem } } });
    await postroom.settings.update(sinkSettings(sink.port), 'test');
    await postroom.queue.handOver(htmlOnly, 'test');
    await postroom.queue.handOver({ ...htmlOnly, subject: 'With its own text', text: 'The host wrote this.' }, 'test');
    await postroom.dispatcher.runCampaign();
    // Sent over parallel connections: which one arrives first is not fixed, so find each by subject.
    const received = await sink.waitFor(2);
    const generated = received.find((m) => m.parsed.subject === 'Invoice 42');
    const given = received.find((m) => m.parsed.subject === 'With its own text');
    assert.match(generated?.raw ?? '', /Content-Type: multipart\/alternative/i, 'multipart/alternative');
    assert.match(generated?.raw ?? '', /Content-Type: text\/plain/i);
    assert.match(generated?.raw ?? '', /Content-Type: text\/html/i);
    assertReadable(generated?.parsed.text);
    assert.match(String(generated?.parsed.html), /<a href="https:\/\/example\.org\/invoice\/42">/, 'the HTML part is as handed over');
    assert.equal(given?.parsed.text?.trim(), 'The host wrote this.', 'the host’s own text wins');
  });

  it('Graph: the MIME sent to sendMail carries the same text/plain alternative', async () => {
    const secret = 'graph-secret-value';
    standIn = await startMicrosoftStandIn({ clientSecret: secret });
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { ...FAST, route: { ca: testPki().caPem }, endpoints: standIn.endpoints } });
    await postroom.settings.update(
      { enabled: true, useGraph: true, tenantId: standIn.app.tenantId, clientId: standIn.app.clientId, clientSecret: secret, postmaster: 'postmaster@contoso.com', campaignIntervalSeconds: 1 },
      'test',
    );
    const { id } = await postroom.queue.handOver(htmlOnly, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.show(id)).status, 'sent');
    const [sent] = standIn.sent;
    assert.ok(sent, 'Graph received the message');
    assertReadable(sent.parsed.text);
    assert.match(String(sent.parsed.html), /read the invoice/);
  });

  it('Outlook (New) draft: the draft made through Graph carries the same text/plain alternative', async () => {
    const secret = 'graph-secret-value';
    standIn = await startMicrosoftStandIn({ clientSecret: secret });
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { ...FAST, route: { ca: testPki().caPem }, endpoints: standIn.endpoints } });
    await postroom.settings.update(
      { useGraph: true, tenantId: standIn.app.tenantId, clientId: standIn.app.clientId, clientSecret: secret, postmaster: 'postmaster@contoso.com' },
      'test',
    );
    const drafts = new OutlookDrafts(postroom.settings, postroom.users, standIn.endpoints, testPki().caPem);
    const made = await drafts.create({ ...htmlOnly, sender: { email: 'alice@contoso.com', name: 'Alice' } });
    const draft = standIn.drafts.get(made.id);
    assert.ok(draft, 'Graph holds the draft');
    assertReadable(draft.parsed.text);
    assert.match(String(draft.parsed.html), /read the invoice/);
  });
});
