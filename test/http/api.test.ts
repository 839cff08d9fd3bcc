// The HTTP API over a real listening socket: who may call what, CSRF and Origin, login limits,
// no secret in any answer, refused input stores nothing, and a hand-over reaching a real SMTP server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { BACKENDS, createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'correct horse battery staple';
const SECRET = 'Sup3r-Secret-Relay-Pass';
const email = { to: ['alice@example.org'], subject: 'Order 7', text: 'Shipped.' };

describe('HTTP API', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let sink: SmtpSink;
  let admin: Client;
  const route = { ca: testPki().caPem };

  before(async () => {
    sink = await startSmtpSink({ auth: { user: 'relay', pass: SECRET } });
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { route, backoff: { baseMs: 50, capMs: 100 } } });
    await postroom.admins.setPassword(PASSWORD);
    await postroom.settings.update({ postmaster: 'noreply@corp.example' }, 'test');
    server = await startHttp(postroom, { route });
    admin = new Client(server.url);
    assert.equal((await admin.login(PASSWORD)).status, 200);
  });

  after(async () => {
    await server.close();
    await postroom.close();
    await sink.close();
    await db.cleanup();
  });

  describe('access', () => {
    it('refuses every non-public route without a session or token', async () => {
      const anon = new Client(server.url);
      for (const [method, p] of [['GET', '/api/v1/settings/email'], ['PATCH', '/api/v1/settings/email'], ['GET', '/api/v1/emails'], ['POST', '/api/v1/emails'], ['GET', '/api/v1/audit'], ['GET', '/api/v1/users'], ['POST', '/api/v1/tokens']] as const) {
        const r = await anon.request(method, p, {});
        assert.equal(r.status, 401, `${method} ${p}`);
      }
      assert.equal((await anon.get('/healthz')).status, 200);
    });

    it('sets HttpOnly, SameSite=Strict session cookies at login', async () => {
      const c = new Client(server.url);
      const res = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
      const cookies = res.headers.getSetCookie();
      const session = cookies.find((x) => x.startsWith('postroom_session='));
      assert.match(session ?? '', /HttpOnly/i);
      assert.match(session ?? '', /SameSite=Strict/i);
      assert.doesNotMatch(cookies.find((x) => x.startsWith('csrf=')) ?? '', /HttpOnly/i, 'the console must read the CSRF cookie');
      void c;
    });

    it('needs the CSRF token and a same-origin Origin for a change made with a session', async () => {
      const noCsrf = new Client(server.url);
      await noCsrf.login(PASSWORD);
      noCsrf.csrf = false;
      const r1 = await noCsrf.patch('/api/v1/settings/email', { smtpHost: 'evil.example' });
      assert.equal(r1.status, 403);
      assert.equal(r1.body.error, 'csrf');
      const otherSite = new Client(server.url);
      await otherSite.login(PASSWORD);
      otherSite.origin = 'http://evil.example';
      assert.equal((await otherSite.patch('/api/v1/settings/email', { smtpHost: 'evil.example' })).status, 403);
      otherSite.origin = null;
      assert.equal((await otherSite.patch('/api/v1/settings/email', { smtpHost: 'evil.example' })).status, 403, 'no Origin: refused');
      assert.equal(((await admin.get('/api/v1/settings/email')).body.settings as Record<string, unknown>).smtpHost, '', 'nothing changed');
    });

    it('slows failed logins, then locks the client out', async () => {
      // A server of its own: the lock-out must not shut the other tests out.
      const locking = await startHttp(postroom, { throttle: { maxFailures: 3, windowMs: 60_000, baseDelayMs: 20, maxDelayMs: 100 } });
      after(() => locking.close());
      const c = new Client(locking.url);
      const started = Date.now();
      for (let i = 0; i < 3; i++) assert.equal((await c.login('wrong password!')).status, 401);
      assert.ok(Date.now() - started >= 20 + 40, 'each failure waits longer');
      const locked = await c.login(PASSWORD);
      assert.equal(locked.status, 429, 'even the right password is refused while locked');
      assert.ok(Number(locked.headers.get('retry-after')) > 0, `Retry-After is positive: ${locked.headers.get('retry-after')}`);
    });

    it('ends the session at logout', async () => {
      const c = new Client(server.url);
      await c.login(PASSWORD);
      assert.equal((await c.get('/api/v1/auth/session')).status, 200);
      const cookie = c.cookies.get('postroom_session');
      assert.equal((await c.post('/api/v1/auth/logout')).status, 200);
      c.cookies.set('postroom_session', cookie as string);
      assert.equal((await c.get('/api/v1/auth/session')).status, 401, 'the old cookie no longer works');
    });
  });

  describe('API tokens', () => {
    it('shows a token once, lets it hand over and read its own e-mails, nothing else', async () => {
      const made = await admin.post<{ id: number; token: string }>('/api/v1/tokens', { name: 'ERP' });
      assert.equal(made.status, 201);
      assert.match(made.body.token, /^prt_/);
      const list = await admin.get<{ name: string }[]>('/api/v1/tokens');
      assert.ok(!list.text.includes(made.body.token), 'the list never shows the token');
      const other = (await admin.post<{ token: string }>('/api/v1/tokens', { name: 'CRM' })).body.token;

      const erp = Client.withToken(server.url, made.body.token);
      const crm = Client.withToken(server.url, other);
      const handed = await erp.post<{ id: number }>('/api/v1/emails', email);
      assert.equal(handed.status, 202);
      assert.equal((await erp.get(`/api/v1/emails/${handed.body.id}`)).status, 200);
      assert.equal((await crm.get(`/api/v1/emails/${handed.body.id}`)).status, 403);
      const crmList = await crm.get<{ items: { id: number }[] }>('/api/v1/emails');
      assert.ok(!crmList.body.items.some((e) => e.id === handed.body.id), 'a token does not list another token\'s e-mails');
      assert.equal((await erp.get('/api/v1/settings/email')).status, 403);
      assert.equal((await erp.patch('/api/v1/settings/email', { enabled: true })).status, 403);
      assert.equal((await erp.post(`/api/v1/emails/${handed.body.id}/cancel`)).status, 403);
      assert.equal((await erp.get('/api/v1/tokens')).status, 403);
      assert.equal((await erp.put('/api/v1/users/u-42', { email: 'u42@corp.example', name: 'U 42' })).status, 201, 'a token may keep the directory');

      assert.equal((await admin.del(`/api/v1/tokens/${made.body.id}`)).status, 200);
      assert.equal((await erp.post('/api/v1/emails', email)).status, 401, 'a revoked token stops at once');
    });
  });

  describe('refused input', () => {
    const count = async () => Object.values((await postroom.queue.counts()) as Record<string, number>).reduce((a, b) => a + b, 0);

    it('answers 400 naming the field, and stores nothing', async () => {
      const before = await count();
      const cases: [unknown, string][] = [
        [{ ...email, to: ['not-an-address'] }, 'to.0'],
        [{ ...email, subject: 'Hi\r\nBcc: victim@example.org' }, 'subject'],
        [{ ...email, headers: { 'X-Ref': 'a\r\nBcc: victim@example.org' } }, 'headers.X-Ref'],
        [{ ...email, headers: { From: 'ceo@corp.example' } }, 'headers.From'],
        [{ subject: 'x', text: 'y' }, 'to'],
        [{ ...email, surprise: 1 }, '(body)'],
      ];
      for (const [body, field] of cases) {
        const r = await admin.post<{ fields: { field: string }[] }>('/api/v1/emails', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.ok(r.body.fields.some((f) => f.field === field), `${field} named in ${r.text}`);
      }
      const bad = await admin.request('POST', '/api/v1/emails', undefined, { body: '{"to": [' });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /not valid JSON/);
      assert.equal(await count(), before);
    });

    it('answers 400 to attachments over the limit and 413 to a body over the limit, and stores nothing', async () => {
      const before = await count();
      const over = Buffer.alloc(26 * 1024 * 1024, 65).toString('base64');
      const r1 = await admin.post<{ fields: { field: string }[] }>('/api/v1/emails', { ...email, attachments: [{ filename: 'big.bin', contentBase64: over }] });
      assert.equal(r1.status, 400);
      assert.equal(r1.body.fields[0]?.field, 'attachments');
      const huge = 'A'.repeat(60 * 1024 * 1024);
      const r = await admin.post('/api/v1/emails', { ...email, attachments: [{ filename: 'big.bin', contentBase64: huge }] });
      assert.equal(r.status, 413);
      const small = await admin.patch('/api/v1/settings/email', { smtpHost: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal(small.status, 413, 'other routes accept 1 MiB');
      assert.equal(await count(), before);
    });

    it('refuses a bad setting with the key and the reason; nothing saved', async () => {
      const r = await admin.patch<{ fields: { field: string; message: string }[] }>('/api/v1/settings/email', { smtpPort: 70000, smtpHost: 'ok.example' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.fields, [{ field: 'smtpPort', message: 'must be at most 65535' }]);
      assert.notEqual(((await admin.get('/api/v1/settings/email')).body.settings as Record<string, unknown>).smtpHost, 'ok.example');
    });
  });

  describe('secrets', () => {
    it('never answers, audits or stores in clear a secret', async () => {
      const r = await admin.patch('/api/v1/settings/email', { smtpPassword: SECRET, clientSecret: `${SECRET}-cs` });
      assert.equal(r.status, 200);
      assert.ok(!r.text.includes(SECRET), 'the secret is not in the response');
      const s = (r.body.settings as Record<string, { set: boolean; updatedAt: string }>).smtpPassword;
      assert.equal(s?.set, true);
      for (const p of ['/api/v1/settings/email', '/api/v1/audit', '/metrics', '/healthz', '/api/v1/openapi.json']) {
        assert.ok(!(await admin.get(p)).text.includes(SECRET), p);
      }
      const files = fs.readdirSync(db.dataDir).filter((f) => f.startsWith('postroom.sqlite'));
      for (const f of files) assert.ok(!fs.readFileSync(path.join(db.dataDir, f)).includes(SECRET), `${f} holds the secret in clear`);
    });
  });

  describe('postmaster rule', () => {
    it('refuses a postmaster that is a user, and a user that is the postmaster', async () => {
      assert.equal((await admin.put('/api/v1/users/jdoe', { email: 'John.Doe@corp.example', name: 'John Doe' })).status, 201);
      const r = await admin.patch<{ fields: { field: string; message: string }[] }>('/api/v1/settings/email', { postmaster: 'john.doe@CORP.example' });
      assert.equal(r.status, 400);
      assert.equal(r.body.fields[0]?.field, 'postmaster');
      assert.match(r.body.fields[0]?.message ?? '', /address of user "jdoe"/);
      assert.equal((await admin.patch('/api/v1/settings/email', { postmaster: 'noreply@corp.example' })).status, 200);
      const u = await admin.put('/api/v1/users/other', { email: 'NoReply@corp.example', name: 'Other' });
      assert.equal(u.status, 409);
      assert.match(u.text, /postmaster/);
      const users = await admin.get<{ id: string; emailSoftware: string }[]>('/api/v1/users');
      assert.ok(users.body.some((x) => x.id === 'jdoe'), `jdoe is listed: ${users.text}`);
      assert.ok(!users.body.some((x) => x.id === 'other'), 'the refused user was not stored');
      assert.equal(users.body.find((x) => x.id === 'jdoe')?.emailSoftware, 'server');
    });
  });

  describe('delivery and the outbox', () => {
    it('delivers an e-mail handed over by HTTP, with the sender policy applied', async () => {
      await admin.patch('/api/v1/settings/email', { ...sinkSettings(sink.port), smtpUser: 'relay', smtpPassword: SECRET, postmaster: 'noreply@corp.example' });
      const token = (await admin.post<{ token: string }>('/api/v1/tokens', { name: 'shop' })).body.token;
      const shop = Client.withToken(server.url, token);
      const r = await shop.post<{ id: number; messageId: string }>('/api/v1/emails', { ...email, sender: { email: 'bob@corp.example', name: 'Bob' } });
      assert.equal(r.status, 202);
      await postroom.dispatcher.runCampaign();
      const msg = (await sink.waitFor(1)).find((m) => m.parsed.messageId === r.body.messageId);
      assert.deepEqual(msg?.parsed.from?.value, [{ address: 'noreply@corp.example', name: 'Bob' }]);
      assert.deepEqual(msg?.parsed.replyTo?.value, [{ address: 'bob@corp.example', name: 'Bob' }]);
      const detail = await shop.get<{ status: string; attemptLog: { outcome: string }[] }>(`/api/v1/emails/${r.body.id}`);
      assert.equal(detail.body.status, 'sent');
      assert.equal(detail.body.attemptLog[0]?.outcome, 'sent');
    });

    it('the same idempotency key gives back the first e-mail', async () => {
      const a = await admin.post<{ id: number }>('/api/v1/emails', { ...email, idempotencyKey: 'order-7-shipped' });
      const b = await admin.post<{ id: number; duplicate: boolean }>('/api/v1/emails', { ...email, idempotencyKey: 'order-7-shipped' });
      assert.equal(a.status, 202);
      assert.equal(b.status, 200);
      assert.equal(b.body.id, a.body.id);
      assert.equal(b.body.duplicate, true);
    });

    it('lists with a status filter, a search and a cursor', async () => {
      await admin.patch('/api/v1/settings/email', { enabled: false });
      for (let i = 0; i < 5; i++) await admin.post('/api/v1/emails', { ...email, subject: `Quarterly report ${i}`, to: [`finance${i}@example.org`] });
      const page1 = await admin.get<{ items: { id: number; subject: string }[]; nextCursor: string }>('/api/v1/emails?q=quarterly&limit=3');
      assert.equal(page1.body.items.length, 3);
      assert.ok(page1.body.nextCursor, `a first page has a next cursor: ${page1.text}`);
      const page2 = await admin.get<{ items: { id: number }[]; nextCursor: string | null }>(`/api/v1/emails?q=quarterly&limit=3&cursor=${page1.body.nextCursor}`);
      assert.equal(page2.body.items.length, 2);
      assert.equal(page2.body.nextCursor, null);
      const ids = [...page1.body.items, ...page2.body.items].map((e) => e.id);
      assert.equal(new Set(ids).size, 5);
      assert.deepEqual(ids, [...ids].sort((x, y) => y - x), 'newest first');
      const byRecipient = await admin.get<{ items: unknown[] }>('/api/v1/emails?q=FINANCE3');
      assert.equal(byRecipient.body.items.length, 1);
      const sent = await admin.get<{ items: { status: string }[] }>('/api/v1/emails?status=sent');
      assert.ok(sent.body.items.length >= 1 && sent.body.items.every((e) => e.status === 'sent'), `only sent e-mails: ${sent.text}`);
      assert.equal((await admin.get('/api/v1/emails?status=lost')).status, 400);
    });

    it('cancels, retries and releases held e-mails; refuses what the status does not allow', async () => {
      const { id } = (await admin.post<{ id: number }>('/api/v1/emails', email)).body;
      assert.equal((await admin.post<{ status: string }>(`/api/v1/emails/${id}/cancel`)).body.status, 'cancelled');
      assert.equal((await admin.post(`/api/v1/emails/${id}/cancel`)).status, 409);
      assert.equal((await admin.post<{ status: string }>(`/api/v1/emails/${id}/retry`)).body.status, 'pending');
      await postroom.queue.lifecycle.hold(Date.now() + 1, Date.now());
      const released = await admin.post<{ released: number }>('/api/v1/emails/release-held');
      assert.ok(released.body.released >= 1, `at least one released: ${released.text}`);
      assert.equal((await admin.get('/api/v1/emails/999999')).status, 404);
    });
  });

  describe('test connection', () => {
    it('reports each step, and names the failing one', async () => {
      await admin.patch('/api/v1/settings/email', { ...sinkSettings(sink.port), smtpUser: 'relay', smtpPassword: SECRET, postmaster: 'noreply@corp.example' });
      const ok = await admin.post<{ ok: boolean; steps: { step: string; ok: boolean; reply?: string }[] }>('/api/v1/settings/email/test-connection', {});
      assert.equal(ok.body.ok, true, ok.text);
      assert.deepEqual(ok.body.steps.map((s) => s.step), ['connect', 'starttls', 'auth', 'sender', 'recipient']);
      assert.ok(!ok.text.includes(SECRET), 'the secret is not in the test report');
      const before = sink.messages.length;

      await admin.patch('/api/v1/settings/email', { smtpPassword: 'wrong-password-here' });
      const auth = await admin.post<{ ok: boolean; steps: { step: string; ok: boolean; reply?: string }[] }>('/api/v1/settings/email/test-connection', {});
      assert.equal(auth.body.ok, false);
      assert.deepEqual(auth.body.steps.at(-1), { step: 'auth', ok: false, detail: `authentication as relay with localhost:${sink.port} failed: 535 5.7.8 Authentication credentials invalid`, reply: '535 5.7.8 Authentication credentials invalid' });

      const plain = await startSmtpSink({ startTls: false });
      try {
        await admin.patch('/api/v1/settings/email', { smtpPort: plain.port });
        const r = await admin.post<{ ok: boolean; steps: { step: string; ok: boolean; detail: string }[] }>('/api/v1/settings/email/test-connection', {});
        assert.equal(r.body.ok, false);
        assert.equal(r.body.steps.at(-1)?.step, 'starttls');
        assert.match(r.body.steps.at(-1)?.detail ?? '', new RegExp(`STARTTLS not offered by localhost:${plain.port}`));
      } finally {
        await plain.close();
      }

      const picky = await startSmtpSink({ mailFromReply: () => ({ code: 553, message: '5.7.1 Sender address rejected: not owned by user' }) });
      try {
        await admin.patch('/api/v1/settings/email', { smtpPort: picky.port, smtpUser: '', smtpPassword: null });
        const r = await admin.post<{ ok: boolean; steps: { step: string; reply?: string }[] }>('/api/v1/settings/email/test-connection', {});
        assert.equal(r.body.steps.at(-1)?.step, 'sender');
        assert.equal(r.body.steps.at(-1)?.reply, '553 5.7.1 Sender address rejected: not owned by user');
      } finally {
        await picky.close();
      }
      assert.equal(sink.messages.length, before, 'a connection test sends nothing');
    });

    it('sends a test e-mail and reports the server reply', async () => {
      await admin.patch('/api/v1/settings/email', { ...sinkSettings(sink.port), smtpUser: 'relay', smtpPassword: SECRET });
      const before = sink.messages.length;
      const r = await admin.post<{ ok: boolean; reply: string }>('/api/v1/settings/email/test-email', { to: 'admin@corp.example' });
      assert.equal(r.body.ok, true, r.text);
      assert.match(r.body.reply, /^250 /);
      await sink.waitFor(before + 1);
      assert.equal(sink.messages.at(-1)?.parsed.subject, 'Postroom test e-mail');
    });
  });

  describe('health, metrics and the API description', () => {
    it('describes every route in the OpenAPI document', async () => {
      const doc = (await admin.get<{ paths: Record<string, Record<string, unknown>> }>('/api/v1/openapi.json')).body;
      for (const p of ['/api/v1/emails', '/api/v1/emails/{id}', '/api/v1/emails/{id}/retry', '/api/v1/settings/email', '/api/v1/settings/email/test-connection', '/api/v1/users/{id}', '/api/v1/auth/login', '/api/v1/audit', '/api/v1/tokens']) {
        assert.ok(doc.paths[p], `${p} documented`);
      }
      const post = doc.paths['/api/v1/emails']?.post as { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } };
      assert.ok(post.requestBody.content['application/json']?.schema.properties.subject, 'with the body schema');
    });

    it('exposes e-mails by status and deliveries in Prometheus format', async () => {
      const m = await admin.get('/metrics');
      assert.match(m.text, /^postroom_emails\{status="sent"\} [1-9]/m);
      assert.match(m.text, /^postroom_deliveries_total\{route="smtp",outcome="sent",reply_class="2xx"\} [1-9]/m);
      assert.match(m.text, /^postroom_oldest_due_email_age_seconds /m);
      assert.match(m.text, /^postroom_campaign_duration_seconds_count/m);
    });

    it('says whether the database is reachable and why sending is not happening', async () => {
      const h = await admin.get<{ status: string; database: string; configuration: { complete: boolean } }>('/healthz');
      assert.equal(h.status, 200);
      assert.equal(h.body.database, 'ok');
      assert.equal(h.body.status, 'degraded', 'the sending process is not running in this test');
    });
  });
});

describe('first start', () => {
  it('opens only through the one-time setup link', async () => {
    const db = await createTestDatabase('sqlite');
    const postroom = await openTestPostroom(db);
    const server = await startHttp(postroom);
    try {
      const state = await postroom.admins.prepare(undefined);
      assert.equal(state.state, 'setup');
      const c = new Client(server.url);
      const pageAnswer = await c.get('/setup');
      assert.equal(pageAnswer.status, 200);
      assert.match(pageAnswer.headers.get('content-type') ?? '', /text\/html/);
      assert.match(pageAnswer.text, /\/api\/v1\/auth\/setup/, 'the setup link leads to a page that completes the setup');
      assert.equal((await c.login('anything at all')).status, 401, 'no password works before setup');
      assert.equal((await c.post('/api/v1/auth/setup', { token: 'guess', password: PASSWORD })).status, 403);
      const token = state.state === 'setup' ? state.setupToken : '';
      assert.equal((await c.post('/api/v1/auth/setup', { token, password: 'short' })).status, 400);
      assert.equal((await c.post('/api/v1/auth/setup', { token, password: PASSWORD })).status, 200);
      assert.equal((await c.get('/api/v1/settings/email')).status, 200, 'signed in');
      assert.equal((await new Client(server.url).post('/api/v1/auth/setup', { token, password: 'another long password' })).status, 403, 'used once');
      assert.equal((await new Client(server.url).login(PASSWORD)).status, 200);
    } finally {
      await server.close();
      await postroom.close();
      await db.cleanup();
    }
  });

  for (const backend of BACKENDS) {
    it(`lets the link set one password only, however many requests race with it (${backend}); both won and the last replaced the first`, async () => {
      const db = await createTestDatabase(backend);
      const postroom = await openTestPostroom(db);
      const server = await startHttp(postroom);
      try {
        const state = await postroom.admins.prepare(undefined);
        const token = state.state === 'setup' ? state.setupToken : '';
        const passwords = Array.from({ length: 6 }, (_, i) => `racing password number ${i}`);
        const answers = await Promise.all(passwords.map((password) => new Client(server.url).post('/api/v1/auth/setup', { token, password })));
        const won = answers.flatMap((a, i) => (a.status === 200 ? [i] : []));
        assert.equal(won.length, 1, `one request sets the password: ${answers.map((a) => a.status).join(', ')}`);
        assert.deepEqual(answers.filter((a) => a.status !== 200).map((a) => a.status), [403, 403, 403, 403, 403]);
        for (const [i, password] of passwords.entries()) {
          assert.equal((await new Client(server.url).login(password)).status, i === won[0] ? 200 : 401, `password ${i}`);
        }
      } finally {
        await server.close();
        await postroom.close();
        await db.cleanup();
      }
    });
  }
});
