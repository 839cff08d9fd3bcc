// verifySignature, the helper host applications use on each webhook request: it accepts exactly
// the body Postroom signed, with the right secret, within the tolerance, and nothing else.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { signPayload, verifySignature } from '../../src/webhooks/index.js';

const SECRET = 'whsec_test-secret';
const BODY = '{"id":"evt_1","type":"email.sent","data":{"email":{"id":1}}}';
const NOW = Date.parse('2026-12-01T12:00:00Z');
const T = NOW / 1000;

describe('webhook signature', () => {
  it('is Stripe-style: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">', () => {
    const expected = crypto.createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    assert.equal(signPayload(BODY, SECRET, T), `t=${T},v1=${expected}`);
  });

  it('accepts the body as signed, as a string or as bytes', () => {
    const header = signPayload(BODY, SECRET, T);
    assert.equal(verifySignature(BODY, header, SECRET, 300, NOW), true);
    assert.equal(verifySignature(Buffer.from(BODY), header, SECRET, 300, NOW), true);
  });

  it('refuses a changed body, another secret, and a missing or malformed header', () => {
    const header = signPayload(BODY, SECRET, T);
    assert.equal(verifySignature(BODY.replace('sent', 'failed'), header, SECRET, 300, NOW), false, 'changed body');
    assert.equal(verifySignature(`${BODY} `, header, SECRET, 300, NOW), false, 'body re-serialised with a space');
    assert.equal(verifySignature(BODY, header, 'whsec_other', 300, NOW), false, 'other secret');
    assert.equal(verifySignature(BODY, '', SECRET, 300, NOW), false, 'empty header');
    assert.equal(verifySignature(BODY, undefined, SECRET, 300, NOW), false, 'no header');
    assert.equal(verifySignature(BODY, `t=${T}`, SECRET, 300, NOW), false, 'no v1');
    assert.equal(verifySignature(BODY, header.replace(/v1=../, 'v1=zz'), SECRET, 300, NOW), false, 'not hex');
    assert.equal(verifySignature(BODY, header.replace(`t=${T}`, `t=${T + 1}`), SECRET, 300, NOW), false, 'timestamp changed');
  });

  it('refuses an old timestamp (a replayed request) and one too far ahead, within the tolerance it accepts', () => {
    const old = signPayload(BODY, SECRET, T - 301);
    assert.equal(verifySignature(BODY, old, SECRET, 300, NOW), false, '301 s old with 300 s tolerance');
    assert.equal(verifySignature(BODY, old, SECRET, 600, NOW), true, 'the same within a 600 s tolerance');
    assert.equal(verifySignature(BODY, signPayload(BODY, SECRET, T - 299), SECRET, 300, NOW), true, '299 s old');
    assert.equal(verifySignature(BODY, signPayload(BODY, SECRET, T + 301), SECRET, 300, NOW), false, 'from the future');
    assert.equal(verifySignature(BODY, signPayload(BODY, SECRET, T - 3600), SECRET, undefined, NOW), false, 'an hour old with the default tolerance');
  });

  it('accepts a header carrying several v1 signatures when one matches', () => {
    const good = signPayload(BODY, SECRET, T);
    const other = signPayload(BODY, 'whsec_previous', T).split(',')[1];
    assert.equal(verifySignature(BODY, `${good},${other}`, SECRET, 300, NOW), true);
    assert.equal(verifySignature(BODY, `t=${T},${other}`, SECRET, 300, NOW), false);
  });
});
