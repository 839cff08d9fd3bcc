// Postroom's run-time sentences in French (the route's, the sending state's, why an e-mail waits): every phrase read back from its English gives its French, the
// values (hosts, addresses, the server's reply) unchanged, with French typography.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../src/transports/index.js';
import '../../src/dispatcher/index.js';
import { MAX_TRANSLATED_CHARS, registered, say, sayIn, translate } from '../../src/i18n/index.js';
import { FAILURES, NETWORK } from '../../src/transports/smtp/words.js';

const SLOT = /\{(\w+)\??\}/g;
// Sample values, some with the punctuation that could fool a reader (colons, parentheses).
const SAMPLES: Record<string, string> = {
  where: 'mx.example.com:587',
  user: 'relay@example.com',
  sender: 'postmaster@example.com',
  recipient: 'alice@example.org',
  protocol: 'TLSv1.3',
  tenant: '11111111-2222-3333-4444-555555555555',
  scope: 'https://outlook.office365.com/.default',
  id: '1234567890',
  seconds: '12.5',
  size: '65536',
  reply: '550 5.7.1 Sorry: not (today)',
  summary: 'a@example.org: 550 no; b@example.org: 451 later',
  reason: 'self-signed certificate in certificate chain',
  command: 'MAIL FROM',
  offered: 'PLAIN LOGIN',
  fields: 'Tenant ID, Client ID',
  roles: 'Mail.Send',
  at: '2026-12-06T15:00:00.000Z',
  message: 'SQLITE_BUSY: database is locked',
};
// Nested slots hold another of Postroom's sentences.
const NESTED: Record<string, string> = {
  why: say(NETWORK.refused),
  during: say(FAILURES.during, { command: 'RCPT TO' }),
  forUser: say(FAILURES.forUser, { user: 'relay@example.com' }),
  step: say(FAILURES.atCommand, { command: 'MAIL FROM' }),
  credential: 'the client secret',
  tls: 'unable to verify the first certificate',
  resumes: 'the route works again, or the settings change',
  detail: say(FAILURES.authFailed, { user: 'relay', where: 'mx.example.com:587', reply: '535 5.7.8 no (really)' }),
};
const valuesFor = (en: string) => {
  const v: Record<string, string> = {};
  for (const m of en.matchAll(SLOT)) {
    const name = m[1] ?? '';
    v[name] = NESTED[name] ?? SAMPLES[name] ?? `value-of-${name}`;
  }
  return v;
};

describe('the route’s sentences in French', () => {
  const phrases = registered();

  it('has phrases to check', () => assert.ok(phrases.length > 40, `${phrases.length} phrases`));

  it('reads every phrase back from its English, values unchanged', () => {
    for (const p of phrases) {
      const v = valuesFor(p.en);
      const english = say(p, v);
      assert.equal(translate(english, 'fr'), sayIn('fr', p, v), `read back: ${english}`);
      for (const [name, value] of Object.entries(v)) if (!(name in NESTED)) assert.ok(sayIn('fr', p, v).includes(value), `${name} kept in: ${p.fr}`);
    }
  });

  it('writes French typography: a no-break space before : ; ? ! and inside « »', () => {
    for (const p of phrases) {
      const fixed = p.fr.replace(SLOT, 'X').replace(/https?:\/\/\S+/g, 'URL');
      assert.doesNotMatch(fixed, /[^\u00a0][:;?!](\s|$)/, `before a colon: ${p.fr}`);
      assert.doesNotMatch(fixed, /«[^\u00a0]|[^\u00a0]»/, `inside « »: ${p.fr}`);
      assert.notEqual(p.fr, p.en, `not translated: ${p.en}`);
    }
  });

  it('words Node’s certificate refusals inside a TLS failure', () => {
    const english = say(FAILURES.tlsFailed, { where: 'mx.example.com:587', tls: "Hostname/IP does not match certificate's altnames: Host: mx.example.com. is not in the cert's altnames: DNS:other.example" });
    assert.equal(
      translate(english, 'fr'),
      'TLS avec mx.example.com:587 a échoué\u00a0: le nom d’hôte ou l’adresse IP ne figure pas parmi les noms du certificat (altnames)\u00a0: Host: mx.example.com. is not in the cert\'s altnames: DNS:other.example',
    );
  });

  it('leaves a sentence longer than its bound as it is: a hostile relay’s 64 KB reply is not read back', () => {
    const short = say(FAILURES.authFailed, { user: 'relay', where: 'h:25', reply: `535 ${'x'.repeat(100)}` });
    assert.notEqual(translate(short, 'fr'), short);
    // Built to make the reading backtrack: a parenthesis every few characters and a near-miss ending.
    const hostile = say(FAILURES.lostSigningIn, { why: 'a (b'.repeat(16_000), where: 'h:25' }).slice(0, -1);
    assert.ok(hostile.length > MAX_TRANSLATED_CHARS, `the crafted text is ${hostile.length} characters`);
    assert.equal(translate(hostile, 'fr'), hostile);
    const long = say(FAILURES.authFailed, { user: 'relay', where: 'h:25', reply: `535 ${'x'.repeat(MAX_TRANSLATED_CHARS)}` });
    assert.equal(translate(long, 'fr'), long, 'over the bound, even a sentence it knows stays English');
  });

  it('leaves a sentence it does not know, and the server’s words, as they are', () => {
    assert.equal(translate('550 5.1.1 no such user', 'fr'), '550 5.1.1 no such user');
    const failed = say(FAILURES.authFailed, { user: 'relay', where: 'h:25', reply: '535 refused: bad password' });
    assert.equal(translate(failed, 'en'), 'authentication as relay with h:25 failed: 535 refused: bad password');
    assert.equal(translate(failed, 'fr'), 'l’authentification en tant que relay auprès de h:25 a échoué\u00a0: 535 refused: bad password');
  });
});
