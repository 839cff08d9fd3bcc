// An SMTP host given as an IP address: delivery over STARTTLS works, and Node's "Setting the TLS
// ServerName to an IP address is not permitted" DeprecationWarning is never raised (RFC 6066).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSmtpRoute } from '../../src/transports/smtp/index.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import type { OutgoingMessage } from '../../src/mail/index.js';

describe('SMTP host given as an IP address', () => {
  let sink: SmtpSink;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);

  before(async () => {
    sink = await startSmtpSink();
    process.on('warning', onWarning);
  });
  after(async () => {
    process.off('warning', onWarning);
    await sink.close();
  });

  const settings = () => ({
    smtpHost: '127.0.0.1',
    smtpPort: sink.port,
    smtpUser: '',
    smtpPassword: '',
    startTls: true,
    smtpMaxConnections: 1,
    postmaster: 'pm@example.com',
  });

  it('delivers over STARTTLS and prints no ServerName deprecation warning', async () => {
    const route = createSmtpRoute(settings(), { ca: testPki().caPem });
    const message: OutgoingMessage = {
      id: 1,
      messageId: '<ip-host@example.com>',
      date: new Date(),
      from: { email: 'pm@example.com' },
      replyTo: [],
      to: [{ email: 'a@example.org' }],
      cc: [],
      bcc: [],
      envelope: { from: 'pm@example.com', to: ['a@example.org'] },
      subject: 'To an IP host',
      text: 'Hello',
      html: undefined,
      headers: {},
      attachments: [],
    };
    try {
      await route.verify();
      const report = await route.send(message);
      assert.equal(report.replyCode, 250, `reply: ${report.reply}`);
      const d = await route.diagnose('pm@example.com', 'a@example.org');
      assert.equal(d.ok, true, `test connection to 127.0.0.1: ${JSON.stringify(d.steps)}`);
    } finally {
      await route.close();
    }
    // Warnings are emitted on the next tick.
    await new Promise((r) => setImmediate(r));
    assert.equal(sink.messages.length, 1, 'the message arrived');
    assert.equal(sink.messages[0]?.secure, true, 'over TLS');
    assert.deepEqual(warnings.filter((w) => /ServerName/i.test(w)), [], 'no ServerName warning');
  });
});
