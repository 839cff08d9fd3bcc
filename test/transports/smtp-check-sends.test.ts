// A route the check passes is a route that sends: over servers that each refuse something, the
// route check (verify) and a send agree: both pass, or both stop the route with the same words.
// A send may still fail for its own reasons (a recipient unknown): that is the message's, never the route's.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { OutgoingMessage } from '../../src/mail/index.js';
import { DeliveryError } from '../../src/transports/index.js';
import { createSmtpRoute } from '../../src/transports/smtp/index.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SinkOptions } from '../helpers/smtp-sink.js';

const POSTMASTER = 'postmaster@example.com';
const RIGHT = 'the right password';

const message = (to: string): OutgoingMessage => ({
  id: 1,
  messageId: `<check-${Math.random().toString(36).slice(2)}@example.com>`,
  date: new Date(),
  from: { email: POSTMASTER },
  replyTo: [],
  to: [{ email: to }],
  cc: [],
  bcc: [],
  envelope: { from: POSTMASTER, to: [to] },
  subject: 'Check and send',
  text: 'Hello',
  html: undefined,
  headers: {},
  attachments: [],
});

interface Server {
  name: string;
  sink: SinkOptions;
  settings?: { smtpUser?: string; smtpPassword?: string; startTls?: boolean; allowPlaintextAuth?: boolean };
  /** What the check should find: null when it passes. */
  routeFails: boolean;
}

const SERVERS: Server[] = [
  { name: 'a relay that takes everything', sink: {}, routeFails: false },
  { name: 'a relay with a login, the right password', sink: { auth: { user: 'relay', pass: RIGHT } }, settings: { smtpUser: 'relay', smtpPassword: RIGHT }, routeFails: false },
  { name: 'the wrong password', sink: { auth: { user: 'relay', pass: RIGHT } }, settings: { smtpUser: 'relay', smtpPassword: 'wrong' }, routeFails: true },
  { name: 'no STARTTLS offered', sink: { startTls: false }, routeFails: true },
  { name: 'a login, but no AUTH offered', sink: { noAuth: true }, settings: { smtpUser: 'relay', smtpPassword: RIGHT }, routeFails: true },
  { name: 'a password over plain text, refused by Postroom', sink: { startTls: false, insecureAuth: true, auth: { user: 'relay', pass: RIGHT } }, settings: { smtpUser: 'relay', smtpPassword: RIGHT, startTls: false }, routeFails: true },
  { name: 'the postmaster refused at MAIL FROM', sink: { mailFromReply: () => ({ code: 553, message: '5.7.1 Sender address rejected: not owned by user' }) }, routeFails: true },
  { name: 'the postmaster refused at RCPT TO (Postfix)', sink: { rcptReply: () => ({ code: 553, message: '5.7.1 <postmaster@example.com>: Sender address rejected: not owned by user relay' }) }, routeFails: true },
  { name: 'a signed-in session required at MAIL FROM', sink: { mailFromReply: () => ({ code: 530, message: '5.7.0 Authentication required' }) }, routeFails: true },
  { name: 'the greeting refuses everyone', sink: { connectReply: { code: 554, message: '5.3.2 No SMTP service here' } }, routeFails: true },
  { name: 'an unknown recipient only', sink: { rcptReply: (a) => (a.startsWith('nobody@') ? { code: 550, message: '5.1.1 no such user' } : null) }, routeFails: false },
];

describe('a route the check passes is a route that sends', () => {
  before(() => testPki());

  for (const server of SERVERS) {
    it(server.name, async () => {
      const sink = await startSmtpSink(server.sink);
      const route = createSmtpRoute(
        { smtpHost: 'localhost', smtpPort: sink.port, smtpUser: '', smtpPassword: '', startTls: true, smtpMaxConnections: 1, postmaster: POSTMASTER, ...server.settings },
        { ca: testPki().caPem },
      );
      try {
        const check = await route.verify().then(() => null, (e: unknown) => e);
        const recipient = server.name === 'an unknown recipient only' ? 'nobody@example.org' : 'alice@example.org';
        const sent = await route.send(message(recipient)).then(() => null, (e: unknown) => e);
        if (check === null) {
          assert.equal(server.routeFails, false, 'the check passed');
          // Whatever a send meets after a passing check is the message's own.
          if (sent !== null) {
            assert.ok(sent instanceof DeliveryError, String(sent));
            assert.equal(sent.scope, 'message', sent.message);
          } else assert.equal(sink.messages.length, 1, 'it was delivered');
        } else {
          assert.ok(check instanceof DeliveryError, String(check));
          assert.equal(server.routeFails, true, `the check failed: ${check.message}`);
          assert.ok(sent instanceof DeliveryError, `the send went through where the check failed: ${check.message}`);
          assert.equal(sent.scope, 'route', sent.message);
          assert.equal(sent.message, check.message, 'the check and the send say the same');
          assert.equal(sent.kind, check.kind);
          assert.equal(sink.messages.length, 0, 'nothing was delivered');
        }
      } finally {
        await route.close();
        await sink.close();
      }
    });
  }
});
