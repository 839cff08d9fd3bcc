// How an SMTP failure is read, by the one classifier that sending, the route check and Test
// connection share: transient or permanent, this e-mail or the whole route, with the server's words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifySmtpFailure } from '../../src/transports/index.js';
import { SmtpStageError, type SmtpStage } from '../../src/transports/smtp/index.js';

const where = 'smtp.example.com:587';
const ctx = { where, sender: 'bob@example.com', senderIsPostmaster: false, user: null, plaintext: false, oauthHelp: null };
const fail = (fields: Record<string, unknown>, message = 'failed') => Object.assign(new Error(message), fields);
const at = (stage: SmtpStage, fields: Record<string, unknown>, message = 'failed') => new SmtpStageError(stage, fail(fields, message), false);

describe('SMTP failure classification', () => {
  const cases: [string, SmtpStageError, string, string][] = [
    ['451 at DATA', at('data', { code: 'EMESSAGE', command: 'DATA', response: '451 4.3.0 Try later', responseCode: 451 }), 'transient', 'message'],
    ['421 closing', at('awaiting-reply', { code: 'EMESSAGE', command: 'DATA', response: '421 4.4.2 Bye', responseCode: 421 }), 'transient', 'route'],
    ['432 Exchange thread limit', at('envelope', { code: 'EMESSAGE', command: 'MAIL FROM', response: '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded', responseCode: 432 }), 'transient', 'message'],
    ['550 at DATA', at('awaiting-reply', { code: 'EMESSAGE', command: 'DATA', response: '550 5.7.1 Spam', responseCode: 550 }), 'permanent', 'message'],
    ['553 sender not owned, not the postmaster', at('envelope', { code: 'EENVELOPE', command: 'MAIL FROM', response: '553 5.7.1 Sender address rejected: not owned by user', responseCode: 553 }), 'permanent', 'message'],
    ['535 credentials', at('auth', { code: 'EAUTH', command: 'AUTH PLAIN', response: '535 5.7.8 Authentication failed', responseCode: 535 }), 'permanent', 'route'],
    ['454 temporary auth failure', at('auth', { code: 'EAUTH', command: 'AUTH LOGIN', response: '454 4.7.0 Temporary authentication failure', responseCode: 454 }), 'transient', 'route'],
    ['connection refused', at('connect', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }), 'transient', 'route'],
    ['DNS', at('connect', { code: 'EDNS', command: 'CONN' }), 'transient', 'route'],
    ['timeout', at('connect', { code: 'ETIMEDOUT', command: 'CONN' }), 'transient', 'route'],
    ['untrusted certificate', at('connect', { code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN', command: 'CONN' }), 'permanent', 'route'],
    ['STARTTLS not offered', at('connect', { code: 'ETLS', command: 'STARTTLS', response: '502 5.5.1 Unrecognized command', responseCode: 502 }), 'permanent', 'route'],
    ['STARTTLS refused for now', at('connect', { code: 'ETLS', command: 'STARTTLS', response: '454 4.7.0 TLS not available', responseCode: 454 }), 'transient', 'route'],
    ['530 at MAIL FROM', at('envelope', { code: 'EENVELOPE', command: 'MAIL FROM', response: '530 5.7.0 Must issue a STARTTLS command first', responseCode: 530 }), 'permanent', 'route'],
  ];
  for (const [name, failure, kind, scope] of cases) {
    it(`${name}: ${kind}, ${scope}`, () => {
      const e = classifySmtpFailure(failure, ctx);
      assert.equal(e.kind, kind);
      assert.equal(e.scope, scope);
    });
  }

  it('keeps the server reply in the message', () => {
    const e = classifySmtpFailure(at('auth', { code: 'EAUTH', command: 'AUTH PLAIN', response: '535 5.7.3 Authentication unsuccessful', responseCode: 535 }), { ...ctx, user: 'relay' });
    assert.equal(e.message, 'authentication as relay with smtp.example.com:587 failed: 535 5.7.3 Authentication unsuccessful');
    assert.equal(e.replyCode, 535);
  });

  it('tells a connection lost mid-transaction from a server that cannot be reached', () => {
    const lost = classifySmtpFailure(at('data', { code: 'ESOCKET', command: 'DATA' }, 'read ECONNRESET'), ctx);
    assert.equal(lost.kind, 'transient');
    assert.equal(lost.scope, 'message');
    assert.equal(lost.connectionLost, true);
    assert.equal(lost.message, 'the server (or something on the way) reset the connection (smtp.example.com:587) while the message was being sent: it was not delivered');
    const refused = classifySmtpFailure(at('connect', { code: 'ESOCKET', command: 'CONN' }, 'connect ECONNREFUSED 127.0.0.1:587'), ctx);
    assert.equal(refused.message, 'cannot reach smtp.example.com:587: connection refused (nothing listens on that port, or a firewall refuses it)');
  });

  it('all recipients refused: permanent unless every refusal was a 4xx', () => {
    const refused = (codes: number[]) =>
      at('envelope', {
        code: 'EENVELOPE',
        command: 'RCPT TO',
        responseCode: codes[0],
        rejectedErrors: codes.map((c, i) => fail({ recipient: `r${i}@x.example`, responseCode: c, response: `${c} no` })),
      });
    assert.equal(classifySmtpFailure(refused([550, 451]), ctx).kind, 'permanent');
    assert.equal(classifySmtpFailure(refused([451, 452]), ctx).kind, 'transient');
    assert.deepEqual(classifySmtpFailure(refused([550]), ctx).rejected, [{ recipient: 'r0@x.example', code: 550, reply: '550 no' }]);
  });

  it('names STARTTLS and promises nothing went in plain text', () => {
    const e = classifySmtpFailure(at('connect', { code: 'ETLS', command: 'STARTTLS', response: '500 command not recognized', responseCode: 500 }), ctx);
    assert.match(e.message, /^STARTTLS not offered by smtp\.example\.com:587: nothing was sent in plain text/);
  });

  it('a refusal of the postmaster at MAIL FROM is the route’s, with the login named', () => {
    const e = classifySmtpFailure(at('envelope', { code: 'EENVELOPE', command: 'MAIL FROM', response: '553 5.7.1 not owned', responseCode: 553 }), { ...ctx, senderIsPostmaster: true, user: 'relay@example.com' });
    assert.equal(e.scope, 'route');
    assert.equal(e.message, 'smtp.example.com:587 refuses the postmaster bob@example.com as sender for relay@example.com: 553 5.7.1 not owned (check that this login may send as the postmaster, or change "Mail postmaster")');
  });
});
