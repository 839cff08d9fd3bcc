// An e-mail's failure in the reader's language: what Postroom wrote about a failed attempt comes
// in French to a French caller (the console), the server's reply inside it as the server wrote it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'french failures for everyone';
type Email = { status: string; lastReply: string | null; attemptLog: { reply: string | null }[] };

describe('an e-mail in error, in French', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let sink: SmtpSink;
  let french: Client;
  let english: Client;

  before(async () => {
    sink = await startSmtpSink({ dataReplies: [{ code: 451, message: '4.3.0 Try later: queue full' }] });
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { backoff: { baseMs: 60_000, capMs: 60_000 }, route: { ca: testPki().caPem } } });
    await postroom.settings.update(sinkSettings(sink.port), 'test');
    await postroom.admins.setPassword(PASSWORD);
    server = await startHttp(postroom);
    french = new Client(server.url);
    french.extraHeaders = { 'accept-language': 'fr-FR,fr;q=0.9' };
    english = new Client(server.url);
    assert.equal((await french.login(PASSWORD)).status, 200);
    assert.equal((await english.login(PASSWORD)).status, 200);
  });
  after(async () => {
    await server.close();
    await postroom.close();
    await sink.close();
    await db.cleanup();
  });

  it('says the failed attempt in the caller’s language, the reply as written', async () => {
    const { id } = await postroom.queue.handOver({ to: ['alice@example.org'], subject: 'Invoice 7', text: 'Attached.' }, 'test');
    await postroom.dispatcher.runCampaign();
    const en = (await english.get<Email>(`/api/v1/emails/${id}`)).body;
    assert.equal(en.status, 'error');
    assert.equal(en.lastReply, `localhost:${sink.port} answered DATA: 451 4.3.0 Try later: queue full`);
    const fr = (await french.get<Email>(`/api/v1/emails/${id}`)).body;
    assert.equal(fr.lastReply, `localhost:${sink.port} a répondu à DATA\u00a0: 451 4.3.0 Try later: queue full`);
    assert.equal(fr.attemptLog.at(-1)?.reply, fr.lastReply);
    const listed = (await french.get<{ items: { id: number; lastReply: string | null }[] }>('/api/v1/emails')).body.items.find((e) => e.id === id);
    assert.equal(listed?.lastReply, fr.lastReply);
  });
});
