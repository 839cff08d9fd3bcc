// How the SMTP route reads servers' replies: which mean "too many recipients", a refused sender,
// or a session that must be signed in or encrypted first (documented wordings of real servers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enhancedCode, isAuthRequired, isSenderRefusal, isTooManyRecipients } from '../../src/transports/smtp/index.js';

describe('SMTP reply reading', () => {
  it('finds the enhanced status code (RFC 3463)', () => {
    assert.equal(enhancedCode('553 5.7.1 <a@b>: Sender address rejected'), '5.7.1');
    assert.equal(enhancedCode('554 5.2.252 SendAsDenied'), '5.2.252');
    assert.equal(enhancedCode('250 Ok'), null);
  });

  it('"too many recipients": 452 (RFC 5321 §4.5.3.1.10), the 552 of older servers, 4.5.3 / 5.5.3', () => {
    for (const [code, reply] of [
      [452, '452 4.5.3 Error: too many recipients'], // Postfix
      [452, '452 4.5.3 Too many recipients'], // Exchange
      [552, '552 Too many recipients'],
      [451, '451 4.5.3 Recipient limit reached'],
    ] as const) assert.equal(isTooManyRecipients(code, reply), true, reply);
    for (const [code, reply] of [[452, '452 4.2.2 Mailbox full'], [550, '550 5.1.1 User unknown']] as const) assert.equal(isTooManyRecipients(code, reply), false, reply);
  });

  it('a sender refusal is about who may send, not about the message', () => {
    assert.equal(isSenderRefusal(553, '553 5.7.1 <pm@x>: Sender address rejected: not owned by user relay'), true);
    assert.equal(isSenderRefusal(550, '550 5.7.60 SMTP; Client does not have permissions to send as this sender'), true);
    assert.equal(isSenderRefusal(554, '554 5.2.252 SendAsDenied; pm@x not allowed to send as pm@x'), true);
    assert.equal(isSenderRefusal(450, '450 4.1.8 <pm@x>: Sender address rejected: Domain not found'), true);
    assert.equal(isSenderRefusal(552, '552 5.3.4 Message size exceeds fixed limit'), false, 'the size is the message\'s');
    assert.equal(isSenderRefusal(452, '452 4.3.1 Insufficient system storage'), false);
    assert.equal(isSenderRefusal(421, '421 4.7.0 Closing'), false);
  });

  it('a session that must be signed in or encrypted first', () => {
    assert.equal(isAuthRequired(530, '530 5.7.0 Must issue a STARTTLS command first'), true);
    assert.equal(isAuthRequired(530, '530 5.7.57 Client not authenticated to send mail'), true);
    assert.equal(isAuthRequired(550, '550 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM'), true);
    assert.equal(isAuthRequired(454, '454 4.7.0 TLS not available due to local problem'), true);
    assert.equal(isAuthRequired(550, '550 5.7.0 Message rejected by policy'), false);
  });
});
