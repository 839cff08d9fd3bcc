// What a token holder, a stranger on the network or a local user could do to a running Postroom
// (issue 9), tried against a real HTTP server over real sockets; each test failed before its fix.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { BACKENDS, createTestDatabase, openTestPostroom } from '../helpers/backends.js';
import { Client, startHttp } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'correct horse battery staple';
const email = { to: ['alice@example.org'], subject: 'Order 7', text: 'Shipped.' };
const MB = 1_000_000;

/** Opens Postroom on a backend with an admin password, a postmaster and a server. */
async function open(backend: (typeof BACKENDS)[number], http: Parameters<typeof startHttp>[1] = {}) {
  const db = await createTestDatabase(backend);
  const postroom = await openTestPostroom(db);
  await postroom.admins.setPassword(PASSWORD);
  await postroom.settings.update({ postmaster: 'noreply@corp.example' }, 'test');
  const server = await startHttp(postroom, http);
  const admin = new Client(server.url);
  assert.equal((await admin.login(PASSWORD)).status, 200, 'the administrator signs in');
  const token = async (name: string) => Client.withToken(server.url, (await admin.post<{ token: string }>('/api/v1/tokens', { name })).body.token);
  return {
    db,
    postroom,
    server,
    admin,
    token,
    async close() {
      await server.close();
      await postroom.close();
      await db.cleanup();
    },
  };
}

/** Milliseconds a request takes to be answered. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await fn();
  return { ms: performance.now() - started, result };
}

describe('regular expressions on outside input answer in linear time', () => {
  let env: Awaited<ReturnType<typeof open>>;
  let host: Client;
  before(async () => {
    env = await open('sqlite');
    host = await env.token('ERP');
  });
  after(() => env.close());

  it('refuses 60,000 line breaks and a "!" as base64 at once, and /healthz is not held up', async () => {
    const body = { ...email, attachments: [{ filename: 'a.bin', contentBase64: `${'\r\n'.repeat(60_000)}!` }] };
    const handOver = timed(() => host.post<{ fields: { field: string }[] }>('/api/v1/emails', body));
    const health = timed(() => new Client(env.server.url).get('/healthz'));
    const [h, r] = await Promise.all([health, handOver]);
    assert.equal(r.result.status, 400);
    assert.deepEqual(r.result.body.fields.map((f) => f.field), ['attachments.0.contentBase64']);
    assert.ok(r.ms < 1000, `the refusal took ${Math.round(r.ms)} ms`);
    assert.ok(h.ms < 1000, `/healthz waited ${Math.round(h.ms)} ms behind the hand-over`);
  });

  it('still accepts base64 broken into lines, with padding and a trailing line break', async () => {
    const content = Buffer.from('Hello, attachment with some length to wrap!'.repeat(10));
    const wrapped = `${content.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`;
    const r = await host.post<{ id: number }>('/api/v1/emails', { ...email, attachments: [{ filename: 'h.txt', contentBase64: wrapped }] });
    assert.equal(r.status, 202, r.text);
  });

  // Each field that a regular expression checks, with 1 MB built to make a backtracking one stall.
  const handOverCases: [string, (s: string) => unknown][] = [
    ['base64: line breaks then "!"', () => ({ ...email, attachments: [{ filename: 'a', contentBase64: `${'\r\n'.repeat(MB / 2)}!` }] })],
    ['base64: letters, "=", spaces then "!"', () => ({ ...email, attachments: [{ filename: 'a', contentBase64: `${'A'.repeat(MB / 2)}=${' '.repeat(MB / 2)}!` }] })],
    ['filename', () => ({ ...email, attachments: [{ filename: `${'a'.repeat(MB)}/`, contentBase64: 'QQ==' }] })],
    ['content type', () => ({ ...email, attachments: [{ filename: 'a', contentType: `a/${'a'.repeat(MB)}/`, contentBase64: 'QQ==' }] })],
    ['content ID', () => ({ ...email, attachments: [{ filename: 'a', contentId: `${'-'.repeat(MB)}!`, contentBase64: 'QQ==' }] })],
    ['recipient: local part', () => ({ ...email, to: [`${'a'.repeat(MB)}!@example.org`] })],
    ['recipient: dotted local part', () => ({ ...email, to: [`${'a.'.repeat(MB / 2)}@`] })],
    ['recipient: domain labels', () => ({ ...email, to: [`a@${'a.'.repeat(MB / 2)}!`] })],
    ['recipient: long label', () => ({ ...email, to: [`a@${'a-'.repeat(MB / 2)}.b!`] })],
    ['recipient name', () => ({ ...email, to: [{ email: 'a@example.org', name: `${'a'.repeat(MB)}\n` }] })],
    ['sender', () => ({ ...email, sender: { email: `${"a'".repeat(MB / 2)}@x`, name: 'a'.repeat(MB) } })],
    ['subject', () => ({ ...email, subject: `${'a '.repeat(MB / 2)}\r\n` })],
    ['header name', () => ({ ...email, headers: { [`X-${'!'.repeat(MB)}:`]: 'v' } })],
    ['header value', () => ({ ...email, headers: { 'X-Ref': `${'a'.repeat(MB)}\r\n` } })],
    ['idempotency key', () => ({ ...email, idempotencyKey: `${'!'.repeat(MB)} ` })],
  ];
  for (const [name, make] of handOverCases) {
    it(`POST /emails answers 1 MB in the ${name} within a second`, async () => {
      const body = make('');
      const r = await timed(() => host.post('/api/v1/emails', body));
      assert.equal(r.result.status, 400, r.result.text.slice(0, 300));
      assert.ok(r.ms < 1000, `${name}: ${Math.round(r.ms)} ms`);
    });
  }

  it('POST /outlook/drafts answers 1 MB of bad base64 within a second', async () => {
    const body = { ...email, attachments: [{ filename: 'a', contentBase64: `${'\r\n'.repeat(MB / 2)}!` }] };
    const r = await timed(() => host.post('/api/v1/outlook/drafts', body));
    assert.equal(r.result.status, 400, r.result.text.slice(0, 300));
    assert.ok(r.ms < 1000, `${Math.round(r.ms)} ms`);
  });

  const settingsCases: [string, unknown][] = [
    ['smtpHost', `${'a'.repeat(MB)}!`],
    ['smtpHost', `${'a-'.repeat(MB / 2)}!`],
    ['smtpHost', `${'a.'.repeat(MB / 2)}!`],
    ['tenantId', `${'a.'.repeat(MB / 2)}-`],
    ['clientId', `${'0'.repeat(MB)}`],
    ['smtpUser', `${'a'.repeat(MB)}\n`],
    ['postmaster', `${'a.'.repeat(MB / 2)}@`],
    ['outlookNewAddress', `a@${'a.'.repeat(MB / 2)}!`],
    ['clientSecretExpiresAt', `${'2'.repeat(MB)}`],
  ];
  for (const [key, value] of settingsCases) {
    it(`PATCH /settings/email answers 1 MB in ${key} (${String(value).slice(0, 4)}…) within a second`, async () => {
      const r = await timed(() => env.admin.patch('/api/v1/settings/email', { [key]: value }));
      assert.equal(r.result.status, 400, r.result.text.slice(0, 300));
      assert.ok(r.ms < 1000, `${key}: ${Math.round(r.ms)} ms`);
    });
  }

  it('PUT /users answers 1 MB in the address or name within a second', async () => {
    for (const body of [{ email: `${'a.'.repeat(MB / 2)}@x` }, { email: 'u@example.org', name: `${'a'.repeat(MB)}\n` }]) {
      const r = await timed(() => host.put('/api/v1/users/u1', body));
      assert.equal(r.result.status, 400, r.result.text.slice(0, 300));
      assert.ok(r.ms < 1000, `${Math.round(r.ms)} ms`);
    }
  });

  it('answers a search, a user ID, a token name and a sign-in of 1 MB within a second', async () => {
    const big = 'a'.repeat(MB);
    const cases: [string, () => Promise<{ status: number }>][] = [
      ['search', () => host.get(`/api/v1/emails?q=${big}`)],
      ['user ID', () => host.put(`/api/v1/users/${big}!`, { email: 'u@example.org' })],
      ['token name', () => env.admin.post('/api/v1/tokens', { name: `${' '.repeat(MB)}!` })],
      ['sign-in', () => new Client(env.server.url).login(big, big)],
      ['bearer', () => fetch(`${env.server.url}/api/v1/emails`, { headers: { authorization: `Bearer ${' '.repeat(8000)}x y` } })],
    ];
    for (const [name, call] of cases) {
      const r = await timed(call);
      assert.ok(r.result.status >= 400 && r.result.status < 500, `${name}: ${r.result.status}`);
      assert.ok(r.ms < 1000, `${name}: ${Math.round(r.ms)} ms`);
    }
  });
});

describe('headers a host may not set', () => {
  let env: Awaited<ReturnType<typeof open>>;
  before(async () => {
    env = await open('sqlite');
  });
  after(() => env.close());

  it('refuses Resent-* and Errors-To, naming the header, and stores nothing', async () => {
    const host = await env.token('ERP');
    const before = (await env.postroom.queue.list()).length;
    for (const name of ['Resent-From', 'resent-to', 'Resent-Message-ID', 'Errors-To']) {
      const r = await host.post<{ fields: { field: string; message: string }[] }>('/api/v1/emails', { ...email, headers: { [name]: 'attacker@evil.example' } });
      assert.equal(r.status, 400, `${name}: ${r.text}`);
      assert.deepEqual(r.body.fields, [{ field: `headers.${name}`, message: 'is set by Postroom and cannot be given' }]);
    }
    assert.equal((await host.post('/api/v1/emails', { ...email, headers: { 'X-Resent-Note': 'fine' } })).status, 202, 'other headers still pass');
    assert.equal((await env.postroom.queue.list()).length, before + 1);
  });
});

for (const backend of BACKENDS) {
  describe(`idempotency keys belong to their caller (${backend})`, () => {
    let env: Awaited<ReturnType<typeof open>>;
    before(async () => {
      env = await open(backend);
    });
    after(() => env.close());

    it('two tokens using the same key make two e-mails; the same token again gets its first', async () => {
      const a = await env.token('shop');
      const b = await env.token('crm');
      const first = await a.post<{ id: number; duplicate: boolean }>('/api/v1/emails', { ...email, idempotencyKey: 'invoice-1001' });
      const other = await b.post<{ id: number; duplicate: boolean }>('/api/v1/emails', { ...email, subject: 'CRM mail', idempotencyKey: 'invoice-1001' });
      assert.equal(first.status, 202);
      assert.equal(other.status, 202, `token B's e-mail is stored: ${other.text}`);
      assert.notEqual(other.body.id, first.body.id);
      const again = await a.post<{ id: number; duplicate: boolean }>('/api/v1/emails', { ...email, idempotencyKey: 'invoice-1001' });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      const byAdmin = await env.admin.post<{ id: number }>('/api/v1/emails', { ...email, idempotencyKey: 'invoice-1001' });
      assert.equal(byAdmin.status, 202, 'the administrator is a caller of its own');
      const stored = await b.get<{ subject: string }>(`/api/v1/emails/${other.body.id}`);
      assert.equal(stored.body.subject, 'CRM mail');
    });
  });
}

/** An SMTP server that offers STARTTLS and AUTH and writes down every password it is given. */
async function passwordCatcher(): Promise<{ port: number; passwords: string[]; close(): Promise<void> }> {
  const pki = testPki();
  const passwords: string[] = [];
  const server = new SMTPServer({
    key: pki.keyPem,
    cert: pki.certPem,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.password) passwords.push(auth.password);
      cb(null, { user: auth.username });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.server.address() as AddressInfo).port, passwords, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('a stored secret goes only where it was saved for', () => {
  const SECRET = 'Relay-Pa55word-Stored';
  const route = { ca: testPki().caPem };
  let env: Awaited<ReturnType<typeof open>>;
  before(async () => {
    env = await open('sqlite', { route });
  });
  after(() => env.close());

  it('changing the SMTP port clears the password: the test connection gives it to no one, the answer and the audit say so', async () => {
    const relay = await startSmtpSink({ auth: { user: 'relay', pass: SECRET } });
    const catcher = await passwordCatcher();
    try {
      const saved = await env.admin.patch('/api/v1/settings/email', { smtpHost: 'localhost', smtpPort: relay.port, smtpUser: 'relay', smtpPassword: SECRET, startTls: true });
      assert.equal(saved.status, 200);
      const ok = await env.admin.post<{ ok: boolean }>('/api/v1/settings/email/test-connection', {});
      assert.equal(ok.body.ok, true, `the password works where it was saved for: ${ok.text}`);

      const moved = await env.admin.patch<{ settings: Record<string, { set: boolean }>; cleared: { key: string; because: string[]; message: string }[] }>('/api/v1/settings/email', { smtpPort: catcher.port });
      assert.equal(moved.status, 200);
      assert.equal(moved.body.settings.smtpPassword?.set, false, 'the password is gone');
      assert.deepEqual(moved.body.cleared.map((c) => [c.key, c.because]), [['smtpPassword', ['smtpPort']]]);
      assert.match(moved.body.cleared[0]?.message ?? '', /smtpPassword was cleared because smtpPort changed/);
      await env.admin.post('/api/v1/settings/email/test-connection', {});
      assert.deepEqual(catcher.passwords, [], 'the other server never received the stored password');
      const audit = await env.admin.get<{ key: string; actor: string }[]>('/api/v1/audit');
      assert.ok(audit.body.some((e) => e.key === 'smtpPassword' && /cleared: smtpPort changed/.test(e.actor)), `audited: ${audit.text.slice(0, 400)}`);

      // A new password in the same save as the new host is kept: the administrator chose both.
      const both = await env.admin.patch<{ settings: Record<string, { set: boolean }>; cleared: unknown[] }>('/api/v1/settings/email', { smtpPort: relay.port, smtpPassword: SECRET });
      assert.equal(both.body.settings.smtpPassword?.set, true);
      assert.deepEqual(both.body.cleared, []);
      // Saving an unchanged host keeps it, and so does changing something unrelated.
      const same = await env.admin.patch<{ settings: Record<string, { set: boolean }> }>('/api/v1/settings/email', { smtpHost: 'localhost', maxRetrySeconds: 600 });
      assert.equal(same.body.settings.smtpPassword?.set, true);
      for (const [key, value] of [['smtpHost', '127.0.0.1'], ['smtpUser', 'other']] as const) {
        await env.admin.patch('/api/v1/settings/email', { smtpHost: 'localhost', smtpUser: 'relay', smtpPassword: SECRET });
        const r = await env.admin.patch<{ settings: Record<string, { set: boolean }> }>('/api/v1/settings/email', { [key]: value });
        assert.equal(r.body.settings.smtpPassword?.set, false, `changing ${key} clears it`);
      }
    } finally {
      await relay.close();
      await catcher.close();
    }
  });

  it('changing the tenant or client ID clears the client secret', async () => {
    for (const [key, value] of [['tenantId', 'contoso.onmicrosoft.com'], ['clientId', '22222222-2222-2222-2222-222222222222']] as const) {
      await env.admin.patch('/api/v1/settings/email', { tenantId: 'fabrikam.onmicrosoft.com', clientId: '11111111-1111-1111-1111-111111111111', clientSecret: 'cs-value-123' });
      const r = await env.admin.patch<{ settings: Record<string, { set: boolean }>; cleared: { key: string }[] }>('/api/v1/settings/email', { [key]: value });
      assert.equal(r.body.settings.clientSecret?.set, false, `changing ${key} clears it`);
      assert.deepEqual(r.body.cleared.map((c) => c.key), ['clientSecret']);
    }
    const fields = await env.admin.get<{ key: string; clearsSecret?: string }[]>('/api/v1/settings/email/fields');
    assert.deepEqual(fields.body.filter((f) => f.clearsSecret).map((f) => `${f.key}>${f.clearsSecret}`), ['smtpHost>smtpPassword', 'smtpPort>smtpPassword', 'smtpUser>smtpPassword', 'tenantId>clientSecret', 'clientId>clientSecret']);
  });
});
