// Test connection in French: every step an administrator reads comes in the console's language,
// with hosts, addresses and the server's reply as they are; the reply stays in its own field.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'test connection in french';
type Steps = { ok: boolean; steps: { step: string; ok: boolean; detail: string; reply?: string }[] };
// Words of Postroom's English sentences that a French step must not hold.
const ENGLISH = /\b(connected to|connection encrypted|signed in as|may send|accepted \(nothing|failed|refuses|the server)\b/;

describe('Test connection in French', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let sink: SmtpSink;
  let french: Client;

  before(async () => {
    sink = await startSmtpSink({ auth: { user: 'relay', pass: 'right' }, rcptReply: (a) => (a.startsWith('nobody@') ? { code: 550, message: '5.1.1 no such user' } : null) });
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db);
    await postroom.settings.update(sinkSettings(sink.port, { smtpUser: 'relay', smtpPassword: 'right' }), 'test');
    await postroom.admins.setPassword(PASSWORD);
    server = await startHttp(postroom, { route: { ca: testPki().caPem } });
    french = new Client(server.url);
    french.extraHeaders = { 'accept-language': 'fr-FR,fr;q=0.9' };
    assert.equal((await french.login(PASSWORD)).status, 200);
  });
  after(async () => {
    await server.close();
    await postroom.close();
    await sink.close();
    await db.cleanup();
  });

  it('words every step of a passing test in French', async () => {
    const r = await french.post<Steps>('/api/v1/settings/email/test-connection', { recipient: 'alice@example.org' });
    assert.equal(r.body.ok, true, JSON.stringify(r.body));
    assert.deepEqual(r.body.steps.map((s) => s.step), ['connect', 'starttls', 'auth', 'sender', 'recipient']);
    const details = r.body.steps.map((s) => s.detail);
    assert.match(details[0] ?? '', /^connecté à localhost:\d+$/);
    assert.match(details[1] ?? '', /^connexion chiffrée en TLSv1\.[23], certificat vérifié$/);
    assert.equal(details[2], 'connecté en tant que relay');
    assert.equal(details[3], 'postmaster@example.com peut envoyer');
    assert.equal(details[4], 'alice@example.org accepté (rien n’a été envoyé)');
    for (const d of details) assert.doesNotMatch(d, ENGLISH, d);
    assert.match(r.body.steps[0]?.reply ?? '', /^220 /, "the server's greeting as it wrote it");
  });

  it('words the failures too, and keeps the reply as the server wrote it', async () => {
    const refused = await french.post<Steps>('/api/v1/settings/email/test-connection', { recipient: 'nobody@example.org' });
    const last = refused.body.steps.at(-1);
    assert.equal(last?.detail, 'le serveur refuse nobody@example.org comme destinataire');
    assert.match(last?.reply ?? '', /^550 5\.1\.1 no such user/);
    await postroom.settings.update({ smtpPassword: 'wrong' }, 'test');
    const auth = await french.post<Steps>('/api/v1/settings/email/test-connection', {});
    const step = auth.body.steps.find((s) => s.step === 'auth');
    assert.match(step?.detail ?? '', /^l’authentification en tant que relay auprès de localhost:\d+ a échoué\u00a0: 535 /);
    assert.doesNotMatch(step?.detail ?? '', ENGLISH);
    assert.match(step?.reply ?? '', /^535 /);
    await postroom.settings.update({ smtpPassword: 'right' }, 'test');
  });
});
