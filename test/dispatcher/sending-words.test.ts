// The sending state in French: every fixed phrase Postroom can put in the banner has its French
// wording (none is left in English beside French text); a server's reply stays as it was written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSending, sendingIn } from '../../src/dispatcher/index.js';
import type { InstanceStatus } from '../../src/dispatcher/status.js';

const alive = (outcome: unknown): InstanceStatus[] =>
  [{ instanceId: 'a', alive: true, lastCampaign: { startedAt: new Date().toISOString(), durationMs: 1, outcome } }] as unknown as InstanceStatus[];

describe('the sending state in French', () => {
  const failures = [
    'the server does not offer STARTTLS',
    'the connection is not encrypted, so Postroom did not send the password over plain text',
    'the certificate is not trusted',
    'token request refused: AADSTS7000215 invalid client secret',
    'authentication with relay:587 failed: 535 5.7.8 bad credentials',
    'the server refuses noreply@corp.example as sender: 550 5.7.60 not owned',
    'cannot reach relay:587: ECONNREFUSED',
    'something nobody foresaw',
  ];
  it('words every reason and every "resumes when" Postroom writes, and keeps the server reply', () => {
    const states = [
      describeSending([], 3),
      describeSending(alive({ state: 'ran', sent: 1 }), 3, { enabled: false, problems: [] }),
      describeSending(alive({ state: 'ran', sent: 1 }), 3, { enabled: true, problems: [{ key: 'smtpHost', message: 'SMTP host is required to send by SMTP' }] }),
      describeSending(alive({ state: 'error', message: 'SQLITE_BUSY: database is locked' }), 3),
      ...failures.map((message) => describeSending(alive({ state: 'route-failing', route: 'smtp', message }), 3)),
    ];
    for (const english of states) {
      const french = sendingIn(english, 'fr');
      assert.ok(english.resumesWhen, 'each says what makes it resume');
      assert.notEqual(french.resumesWhen, english.resumesWhen, `"${english.resumesWhen}" has a French wording`);
    }
    const [noProcess, off, incomplete, database] = states.map((s) => sendingIn(s, 'fr'));
    assert.equal(noProcess?.reason, 'aucun processus d’envoi ne tourne');
    assert.equal(off?.reason, 'l’envoi est désactivé');
    assert.equal(incomplete?.reason, 'la configuration est incomplète\u00a0: «\u00a0Hôte SMTP\u00a0» est obligatoire pour envoyer en SMTP');
    assert.equal(database?.reason, 'la base de données n’a pas pu être utilisée\u00a0: SQLITE_BUSY: database is locked', "the database's own words stay");
    assert.equal(sendingIn(states[4] as never, 'en'), states[4], 'English is as written');
  });
});
