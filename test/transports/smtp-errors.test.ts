// How a nodemailer failure is read: transient or permanent, this e-mail or the whole route.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifySmtpError } from '../../src/transports/index.js';

const fail = (fields: Record<string, unknown>, message = 'failed') => Object.assign(new Error(message), fields);
const where = 'smtp.example.com:587';

describe('SMTP failure classification', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['451 at DATA', { code: 'EMESSAGE', command: 'DATA', response: '451 4.3.0 Try later', responseCode: 451 }, 'transient', 'message'],
    ['421 closing', { code: 'EMESSAGE', command: 'DATA', response: '421 4.4.2 Bye', responseCode: 421 }, 'transient', 'route'],
    ['432 Exchange thread limit', { code: 'EMESSAGE', command: 'MAIL FROM', response: '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded', responseCode: 432 }, 'transient', 'message'],
    ['550 at DATA', { code: 'EMESSAGE', command: 'DATA', response: '550 5.7.1 Spam', responseCode: 550 }, 'permanent', 'message'],
    ['553 sender not owned', { code: 'EENVELOPE', command: 'MAIL FROM', response: '553 5.7.1 Sender address rejected: not owned by user', responseCode: 553 }, 'permanent', 'message'],
    ['535 credentials', { code: 'EAUTH', command: 'AUTH PLAIN', response: '535 5.7.8 Authentication failed', responseCode: 535 }, 'permanent', 'route'],
    ['454 temporary auth failure', { code: 'EAUTH', command: 'AUTH LOGIN', response: '454 4.7.0 Temporary authentication failure', responseCode: 454 }, 'transient', 'route'],
    ['connection refused', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }, 'transient', 'route'],
    ['DNS', { code: 'EDNS', command: 'CONN' }, 'transient', 'route'],
    ['timeout', { code: 'ETIMEDOUT', command: 'CONN' }, 'transient', 'route'],
    ['untrusted certificate', { code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN', command: 'CONN' }, 'permanent', 'route'],
    ['STARTTLS refused', { code: 'ETLS', command: 'STARTTLS', response: '502 5.5.1 Unrecognized command' }, 'permanent', 'route'],
  ];
  for (const [name, fields, kind, scope] of cases) {
    it(`${name}: ${kind}, ${scope}`, () => {
      const e = classifySmtpError(fail(fields), where);
      assert.equal(e.kind, kind);
      assert.equal(e.scope, scope);
    });
  }

  it('keeps the server reply in the message', () => {
    const e = classifySmtpError(fail({ code: 'EAUTH', command: 'AUTH PLAIN', response: '535 5.7.3 Authentication unsuccessful', responseCode: 535 }), where);
    assert.equal(e.message, 'authentication with smtp.example.com:587 failed: 535 5.7.3 Authentication unsuccessful');
    assert.equal(e.replyCode, 535);
  });

  it('tells a connection lost mid-session from a server that cannot be reached', () => {
    const lost = classifySmtpError(fail({ code: 'ESOCKET', command: 'CONN' }, 'read ECONNRESET'), where);
    assert.equal(lost.kind, 'transient');
    assert.match(lost.message, /^the connection to smtp\.example\.com:587 was lost: read ECONNRESET$/);
    const refused = classifySmtpError(fail({ code: 'ESOCKET', command: 'CONN' }, 'connect ECONNREFUSED 127.0.0.1:587'), where);
    assert.match(refused.message, /^cannot reach smtp\.example\.com:587/);
  });

  it('all recipients refused: permanent unless every refusal was a 4xx', () => {
    const refused = (codes: number[]) =>
      fail({
        code: 'EENVELOPE',
        command: 'RCPT TO',
        responseCode: codes[0],
        rejectedErrors: codes.map((c, i) => fail({ recipient: `r${i}@x.example`, responseCode: c, response: `${c} no` })),
      });
    assert.equal(classifySmtpError(refused([550, 451]), where).kind, 'permanent');
    assert.equal(classifySmtpError(refused([451, 452]), where).kind, 'transient');
    assert.deepEqual(classifySmtpError(refused([550]), where).rejected, [{ recipient: 'r0@x.example', code: 550, reply: '550 no' }]);
  });

  it('names STARTTLS and promises nothing went in plain text', () => {
    const e = classifySmtpError(fail({ code: 'ETLS', command: 'STARTTLS', response: '500 command not recognized' }), where);
    assert.match(e.message, /^STARTTLS not offered by smtp\.example\.com:587 .*nothing was sent in plain text/);
  });
});
