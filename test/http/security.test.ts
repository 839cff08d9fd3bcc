// What a token holder, a stranger on the network or a local user could do to a running Postroom
// (issue 9), tried against a real HTTP server over real sockets; each test failed before its fix.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { BACKENDS, createTestDatabase, openTestPostroom } from '../helpers/backends.js';
import { Client, startHttp } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'correct horse battery staple';
const email = { to: ['alice@example.org'], subject: 'Order 7', text: 'Shipped.' };
const MB = 1_000_000;
/**
 * A linear check answers 1 MB in tens of milliseconds; a backtracking one took 6 s for 120 KB and
 * would take minutes for 1 MB. The bound is generous because the test machine may be shared.
 */
const BOUND_MS = 3000;

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
    assert.ok(r.ms < BOUND_MS, `the refusal took ${Math.round(r.ms)} ms`);
    assert.ok(h.ms < BOUND_MS, `/healthz waited ${Math.round(h.ms)} ms behind the hand-over`);
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
    it(`POST /emails answers 1 MB in the ${name} within the bound`, async () => {
      const body = make('');
      const r = await timed(() => host.post('/api/v1/emails', body));
      assert.equal(r.result.status, 400, r.result.text.slice(0, 300));
      assert.ok(r.ms < BOUND_MS, `${name}: ${Math.round(r.ms)} ms`);
    });
  }

  it('POST /outlook/drafts answers 1 MB of bad base64 within the bound', async () => {
    const body = { ...email, attachments: [{ filename: 'a', contentBase64: `${'\r\n'.repeat(MB / 2)}!` }] };
    const r = await timed(() => host.post('/api/v1/outlook/drafts', body));
    assert.equal(r.result.status, 400, r.result.text.slice(0, 300));
    assert.ok(r.ms < BOUND_MS, `${Math.round(r.ms)} ms`);
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
    // PEM: BEGIN lines without their END (a lazy body tried each against the rest: 14 s for 400 KB).
    ['smtpCaCertificate', '-----BEGIN A-----'.repeat(MB / 17)],
    ['smtpCaCertificate', Array.from({ length: MB / 24 }, (_, i) => `-----BEGIN A${i}-----`).join('')],
    ['microsoftCaCertificate', '-----BEGIN CERTIFICATE-----'.repeat(MB / 28)],
    ['clientCertificate', '-----BEGIN CERTIFICATE-----\n'.repeat(MB / 29)],
    ['clientCertificate', `${'-----BEGIN PRIVATE KEY-----'.repeat(MB / 56)}${'-----END CERTIFICATE-----'.repeat(MB / 56)}`],
  ];
  for (const [key, value] of settingsCases) {
    it(`PATCH /settings/email answers 1 MB in ${key} (${String(value).slice(0, 4)}…) within the bound`, async () => {
      const r = await timed(() => env.admin.patch('/api/v1/settings/email', { [key]: value }));
      assert.equal(r.result.status, 400, r.result.text.slice(0, 300));
      assert.ok(r.ms < BOUND_MS, `${key}: ${Math.round(r.ms)} ms`);
    });
  }

  it('PUT /users answers 1 MB in the address or name within the bound', async () => {
    for (const body of [{ email: `${'a.'.repeat(MB / 2)}@x` }, { email: 'u@example.org', name: `${'a'.repeat(MB)}\n` }]) {
      const r = await timed(() => host.put('/api/v1/users/u1', body));
      assert.equal(r.result.status, 400, r.result.text.slice(0, 300));
      assert.ok(r.ms < BOUND_MS, `${Math.round(r.ms)} ms`);
    }
  });

  it('answers a search, a user ID, a token name and a sign-in of 1 MB within the bound', async () => {
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
      assert.ok(r.ms < BOUND_MS, `${name}: ${Math.round(r.ms)} ms`);
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

  it('refuses every Content-* header (Content-ID, Content-Location passed), naming it', async () => {
    const host = await env.token('ERP-content');
    for (const name of ['Content-ID', 'content-location', 'Content-Language', 'Content-Type']) {
      const r = await host.post<{ fields: { field: string; message: string }[] }>('/api/v1/emails', { ...email, headers: { [name]: '<x@evil.example>' } });
      assert.equal(r.status, 400, `${name}: ${r.text}`);
      assert.deepEqual(r.body.fields, [{ field: `headers.${name}`, message: 'is set by Postroom and cannot be given' }]);
    }
  });

  it('refuses control characters (terminal escapes) in a subject, a name, a file name or a header value, naming the field', async () => {
    const host = await env.token('ERP-controls');
    const before = (await env.postroom.queue.list()).length;
    const esc = '\u001b]8;;https://evil.example\u0007click\u001b[2J';
    const cases: [string, Record<string, unknown>][] = [
      ['subject', { ...email, subject: `Invoice ${esc}` }],
      ['to.0.name', { ...email, to: [{ email: 'a@example.org', name: `Bob\u009b31m` }] }],
      ['attachments.0.filename', { ...email, attachments: [{ filename: 'a\u001b[31mred.pdf', contentBase64: 'aGk=' }] }],
      ['headers.X-Note', { ...email, headers: { 'X-Note': `a\u007fb` } }],
    ];
    for (const [field, body] of cases) {
      const r = await host.post<{ fields: { field: string; message: string }[] }>('/api/v1/emails', body);
      assert.equal(r.status, 400, `${field}: ${r.text}`);
      assert.deepEqual(r.body.fields, [{ field, message: 'contains a control character' }]);
    }
    assert.equal((await host.post('/api/v1/emails', { ...email, subject: 'Tabs\tand accents: été, Grüße, 東京' })).status, 202, 'a tab and any letter still pass');
    assert.equal((await env.postroom.queue.list()).length, before + 1, 'nothing of the refused stored');
  });

  it('refuses a recipient list of a million addresses at once, before looking at each (it held the process)', async () => {
    const host = await env.token('ERP-huge');
    const to = Array.from({ length: 1_000_000 }, (_, i) => `u${i}@example.org`);
    const { ms, result } = await timed(() => host.post<{ fields: { field: string; message: string }[] }>('/api/v1/emails', { ...email, to }));
    assert.equal(result.status, 400, result.text.slice(0, 200));
    assert.deepEqual(result.body.fields, [{ field: 'to', message: 'holds more than 500 recipients' }]);
    assert.ok(ms < BOUND_MS, `answered in ${Math.round(ms)} ms`);
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
    const fields = await env.admin.get<{ key: string; clearsSecrets?: string[] }[]>('/api/v1/settings/email/fields');
    assert.deepEqual(
      fields.body.filter((f) => f.clearsSecrets).map((f) => `${f.key}>${f.clearsSecrets?.join('+')}`),
      [
        'smtpHost>smtpPassword+googleServiceAccountKey', 'smtpPort>smtpPassword+googleServiceAccountKey', 'smtpUser>smtpPassword', 'tenantId>clientSecret+clientCertificate', 'clientId>clientSecret+clientCertificate',
        'startTls>smtpPassword+googleServiceAccountKey', 'allowPlaintextAuth>smtpPassword+googleServiceAccountKey', 'microsoftCloud>clientSecret+clientCertificate', 'smtpCaCertificate>smtpPassword+imapPassword+googleServiceAccountKey',
        'microsoftCaCertificate>clientSecret+clientCertificate', 'imapHost>imapPassword+googleServiceAccountKey', 'imapPort>imapPassword+googleServiceAccountKey', 'imapUser>imapPassword',
      ],
      'the console is told which secrets each field clears',
    );
  });

  it('changing how a secret travels clears it too: TLS off, plain-text AUTH on, another CA, another Microsoft cloud; and the tenant keeps no client certificate', async () => {
    const pki = testPki();
    const certificate = `${pki.certPem}\n${pki.keyPem}`;
    const smtp = { smtpHost: 'relay.example.com', smtpUser: 'relay', startTls: true, allowPlaintextAuth: false, smtpCaCertificate: '', smtpPassword: 'smtp-pw-123' };
    const imap = { imapHost: 'imap.example.com', imapUser: 'bounces', imapPassword: 'imap-pw-123' };
    const microsoft = { tenantId: 'fabrikam.onmicrosoft.com', clientId: '11111111-1111-1111-1111-111111111111', microsoftCloud: 'worldwide', microsoftCaCertificate: '', clientSecret: 'cs-value-123', clientCertificate: certificate };
    const cases: [Record<string, unknown>, string[]][] = [
      [{ startTls: false }, ['smtpPassword']],
      [{ allowPlaintextAuth: true }, ['smtpPassword']],
      [{ smtpCaCertificate: pki.caPem }, ['smtpPassword', 'imapPassword']],
      [{ microsoftCloud: 'gcc-high' }, ['clientSecret', 'clientCertificate']],
      [{ microsoftCaCertificate: pki.caPem }, ['clientSecret', 'clientCertificate']],
      [{ tenantId: 'contoso.onmicrosoft.com' }, ['clientSecret', 'clientCertificate']],
    ];
    for (const [change, clearedKeys] of cases) {
      const setUp = await env.admin.patch('/api/v1/settings/email', { ...smtp, ...imap, ...microsoft });
      assert.equal(setUp.status, 200, setUp.text);
      const r = await env.admin.patch<{ settings: Record<string, { set: boolean }>; cleared: { key: string; message: string }[] }>('/api/v1/settings/email', change);
      const what = JSON.stringify(change).slice(0, 60);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.cleared.map((c) => c.key).sort(), [...clearedKeys].sort(), what);
      for (const key of ['smtpPassword', 'imapPassword', 'clientSecret', 'clientCertificate']) {
        assert.equal(r.body.settings[key]?.set, !clearedKeys.includes(key), `${what}: ${key}`);
      }
      assert.match(r.body.cleared[0]?.message ?? '', new RegExp(`because ${Object.keys(change)[0]} changed`));
    }
    // The certificate's expiry leaves with it.
    const view = await env.admin.get<{ settings: { clientCertificateExpiresAt: string } }>('/api/v1/settings/email');
    assert.equal(view.body.settings.clientCertificateExpiresAt, '');
  });
});

for (const backend of BACKENDS) {
  describe(`the sign-in limit (${backend})`, () => {
    const throttle = { maxFailures: 10, windowMs: 60_000, baseDelayMs: 10, maxDelayMs: 200 };
    let env: Awaited<ReturnType<typeof open>>;
    before(async () => {
      env = await open(backend, { trustProxy: true, throttle });
    });
    after(() => env.close());

    /** A sign-in through the one proxy in front, which appends the address it saw. */
    const signIn = (password: string, forwardedFor: string) =>
      fetch(`${env.server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
        body: JSON.stringify({ username: 'admin', password }),
      });

    it('checks at most the limit of 30 wrong passwords sent at once; the admin still gets in from elsewhere; a forged address is not believed', async () => {
      const ADMIN_ADDRESS = '198.51.100.7';
      // The attacker writes the administrator's address itself; the proxy appends the real one.
      const answers = await Promise.all(Array.from({ length: 30 }, () => signIn('wrong password!!', `${ADMIN_ADDRESS}, 203.0.113.66`)));
      const statuses = answers.map((r) => r.status);
      const checked = statuses.filter((st) => st === 401).length;
      assert.ok(checked <= throttle.maxFailures, `${checked} of 30 passwords were checked: ${statuses.join(' ')}`);
      assert.equal(statuses.filter((st) => st === 429).length, 30 - checked, 'the rest were refused unchecked');
      const locked = answers.find((r) => r.status === 429);
      assert.ok(Number(locked?.headers.get('retry-after')) > 0, 'Retry-After says when');

      // Another instance on the same database sees the same count.
      const second = await openTestPostroom(env.db);
      const secondServer = await startHttp(second, { trustProxy: true, throttle });
      try {
        const again = await fetch(`${secondServer.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.66' },
          body: JSON.stringify({ username: 'admin', password: PASSWORD }),
        });
        assert.equal(again.status, 429, 'the attacker address is refused on every instance, even with the right password');
      } finally {
        await secondServer.close();
        await second.close();
      }

      const mine = await signIn(PASSWORD, ADMIN_ADDRESS);
      assert.equal(mine.status, 200, `the administrator signs in from his own address: ${await mine.text()}`);
    });

    it('slows, but never locks, a user name tried from many addresses', async () => {
      for (let i = 0; i < 12; i++) assert.equal((await signIn('wrong password!!', `192.0.2.${i + 1}`)).status, 401, `address ${i + 1} is checked`);
      const started = performance.now();
      const r = await signIn(PASSWORD, '192.0.2.200');
      assert.equal(r.status, 200, 'the right password still gets in');
      assert.ok(performance.now() - started >= throttle.maxDelayMs * 0.9, 'after the back-off of the user name');
    });
  });
}

describe('who is calling is known before the body is read', () => {
  let env: Awaited<ReturnType<typeof open>>;
  before(async () => {
    env = await open('sqlite', { handOver: { perMinute: 3, concurrent: 2 } });
  });
  after(() => env.close());

  /** Starts a POST that announces `length` bytes and sends only the first 64 KB of them. */
  function slowPost(path: string, length: number, headers: Record<string, string> = {}, base = env.server.url) {
    const req = http.request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(length), ...headers } });
    req.on('error', () => undefined);
    req.write(`{"to":["a@example.org"],"subject":"s","text":"${'a'.repeat(64 * 1024)}`);
    const answer = new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 3 s while the body was still being sent')), 3000);
      // Destroyed by the test without an answer (a request held open on purpose): settle quietly.
      req.on('close', () => {
        clearTimeout(timer);
        resolve({ status: 0, headers: {} });
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      });
    });
    return { req, answer };
  }

  it('answers 401 to a 30 MB hand-over without credentials before the body is sent', async () => {
    for (const path of ['/api/v1/emails', '/api/v1/outlook/drafts', '/api/v1/settings/email/test-email']) {
      const { req, answer } = slowPost(path, 30 * MB);
      try {
        assert.equal((await answer).status, 401, path);
      } finally {
        req.destroy();
      }
    }
    const { req, answer } = slowPost('/api/v1/emails', 30 * MB, { authorization: 'Bearer prt_not-a-token' });
    assert.equal((await answer).status, 401, 'an unknown token too');
    req.destroy();
  });

  it("limits a token's hand-overs per minute and at once with 429 and Retry-After; another token is not affected", async () => {
    const busy = await env.token('busy');
    const calm = await env.token('calm');
    const holders = [slowPost('/api/v1/emails', MB, { authorization: `Bearer ${busy.bearer}` }), slowPost('/api/v1/emails', MB, { authorization: `Bearer ${busy.bearer}` })];
    await new Promise((r) => setTimeout(r, 200));
    const third = await busy.post('/api/v1/emails', email);
    assert.equal(third.status, 429, `two in progress is the limit: ${third.text}`);
    assert.match(third.body.message as string, /2 hand-overs in progress/);
    assert.equal(third.headers.get('retry-after'), '1');
    assert.equal((await calm.post('/api/v1/emails', email)).status, 202, 'another token hands over meanwhile');
    for (const h of holders) h.req.destroy();
    await new Promise((r) => setTimeout(r, 200));

    // Two were started (and abandoned) this minute, so one more is allowed, then none.
    assert.equal((await busy.post('/api/v1/emails', email)).status, 202);
    const over = await busy.post('/api/v1/emails', email);
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers.get('retry-after')) >= 1 && Number(over.headers.get('retry-after')) <= 60, `Retry-After ${over.headers.get('retry-after')}`);
    assert.match(over.body.message as string, /3 e-mails in the last minute/);
  });

  it('bounds the hand-over bytes in progress for the whole server: beyond them 503 with Retry-After, whoever sends; one alone always goes in', async () => {
    const bounded = await open('sqlite', { handOver: { perMinute: 0, concurrent: 0, maxBytesInFlight: 3 * MB } });
    try {
      const a = await bounded.token('erp');
      const b = await bounded.token('crm');
      // One hand-over of 5 MB alone is let in, however large (the body limit decides what may be sent at all).
      const big = slowPost('/api/v1/emails', 5 * MB, { authorization: `Bearer ${a.bearer}` }, bounded.server.url);
      await new Promise((r) => setTimeout(r, 200));
      const meanwhile = await b.post('/api/v1/emails', email);
      assert.equal(meanwhile.status, 503, `over the bytes in flight, another token is told to wait: ${meanwhile.text}`);
      assert.equal(meanwhile.body.error, 'overloaded');
      assert.equal(meanwhile.headers.get('retry-after'), '2');
      assert.match(meanwhile.body.message as string, /receiving 5 MB of hand-overs already/);
      big.req.destroy();
      await new Promise((r) => setTimeout(r, 200));
      // Its bytes are given back when it ends (here: abandoned): the others go in again.
      assert.equal((await b.post('/api/v1/emails', email)).status, 202);
      const two = [slowPost('/api/v1/emails', MB, { authorization: `Bearer ${a.bearer}` }, bounded.server.url), slowPost('/api/v1/emails', MB, { authorization: `Bearer ${b.bearer}` }, bounded.server.url)];
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await a.post('/api/v1/emails', email)).status, 202, 'small ones fit beside two of 1 MB');
      const third = slowPost('/api/v1/emails', 2 * MB, { authorization: `Bearer ${b.bearer}` }, bounded.server.url);
      assert.equal((await third.answer).status, 503, '2 MB more would pass 3 MB in progress');
      for (const h of two) h.req.destroy();
      third.req.destroy();
    } finally {
      await bounded.close();
    }
  });
});

describe('a request that drips in or is not HTTP', () => {
  /** Writes `head` (and then nothing) on a raw socket; resolves with everything the server sent back before it closed. */
  function raw(url: string, head: string, timeoutMs = 8000): Promise<string> {
    const { port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(head));
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`the server still held the connection after ${timeoutMs} ms; it sent: ${text.slice(0, 200)}`));
      }, timeoutMs);
      socket.on('data', (c) => (text += c.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
  }
  const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: string; message: string };

  it('cuts off a hand-over whose body never finishes arriving, with 408 in the documented shape (it was held for ever)', async () => {
    const env = await open('sqlite', { requestTimeoutMs: 1_000 });
    try {
      const app = await env.token('erp');
      const started = Date.now();
      const answer = await raw(env.server.url, `POST /api/v1/emails HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.bearer}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"to":["a@example.org"],`);
      assert.match(answer, /^HTTP\/1\.1 408 /, answer.slice(0, 200));
      assert.deepEqual(Object.keys(bodyOf(answer)), ['error', 'message']);
      assert.equal(bodyOf(answer).error, 'request_timeout');
      assert.ok(Date.now() - started < 4_000, `cut off after ${Date.now() - started} ms (timeout 1 s)`);
    } finally {
      await env.close();
    }
  });

  it('answers headers too large and malformed HTTP in the documented shape, not the framework\'s', async () => {
    const env = await open('sqlite');
    try {
      const huge = await raw(env.server.url, `GET /api/v1/emails HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.match(huge, /^HTTP\/1\.1 431 /, huge.slice(0, 200));
      assert.equal(bodyOf(huge).error, 'headers_too_large');
      const broken = await raw(env.server.url, 'GARBAGE / NOT-HTTP\r\n\r\n');
      assert.match(broken, /^HTTP\/1\.1 400 /, broken.slice(0, 200));
      assert.equal(bodyOf(broken).error, 'invalid_request');
    } finally {
      await env.close();
    }
  });
});

describe('the public health check and the metrics', () => {
  let env: Awaited<ReturnType<typeof open>>;
  const METRICS_TOKEN = 'metrics-token-for-prometheus-0123456789';
  let smallCaPem = '';
  before(async () => {
    env = await open('sqlite', { metrics: { token: METRICS_TOKEN, allow: ['10.0.0.0/8'] } });
    // A route that fails with an internal name in its error.
    await env.admin.patch('/api/v1/settings/email', { enabled: true, smtpHost: 'relay.internal.corp.example', smtpPort: 2525, startTls: true });
    await env.postroom.dispatcher.runCampaign();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-small-ca-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=C'], { cwd: dir, stdio: 'pipe' });
    smallCaPem = fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8').trim();
    fs.rmSync(dir, { recursive: true });
  });
  after(() => env.close());

  it('tells a stranger only the status; an administrator or a token gets the details', async () => {
    const anon = await new Client(env.server.url).get('/healthz');
    assert.equal(anon.status, 200);
    assert.deepEqual(anon.body, { status: 'degraded' });
    const details = await env.admin.get<{ status: string; sendingProcess: { routeError?: string } }>('/healthz');
    assert.equal(details.body.status, 'degraded');
    assert.match(JSON.stringify(details.body), /relay\.internal\.corp\.example/, 'the administrator sees why');
    const host = await env.token('monitor');
    assert.match((await host.get('/healthz')).text, /relay\.internal\.corp\.example/, 'a token sees why');
  });

  it('reads a large CA bundle once per change, not on every /healthz a stranger sends', async () => {
    // Some 1,700 small certificates (900 KB, under the field's 1 MB: an EC certificate's size varies
    // by a few bytes): each /healthz parsed them all, ≈ 0.5 s of the thread; 40 at once held the server 20 s.
    const count = Math.floor(900_000 / (smallCaPem.length + 1));
    const bundle = Array.from({ length: count }, () => smallCaPem).join('\n');
    assert.equal((await env.admin.patch('/api/v1/settings/email', { smtpCaCertificate: bundle })).status, 200);
    try {
      const stranger = new Client(env.server.url);
      const { ms, result } = await timed(() => Promise.all(Array.from({ length: 40 }, () => stranger.get('/healthz'))));
      assert.deepEqual(new Set(result.map((r) => r.status)), new Set([200]));
      assert.ok(ms < BOUND_MS, `40 health checks took ${Math.round(ms)} ms`);
      const view = await env.admin.get<{ certificates: { smtpCaCertificate?: unknown[] } }>('/api/v1/settings/email');
      assert.equal(view.body.certificates.smtpCaCertificate?.length, count, 'the screen still lists every certificate');
      // A change is read again at once.
      await env.admin.patch('/api/v1/settings/email', { smtpCaCertificate: testPki().caPem });
      const changed = await env.admin.get<{ certificates: { smtpCaCertificate?: unknown[] } }>('/api/v1/settings/email');
      assert.equal(changed.body.certificates.smtpCaCertificate?.length, 1);
    } finally {
      await env.admin.patch('/api/v1/settings/email', { smtpCaCertificate: '' });
    }
  });

  it('answers /metrics to the metrics token, an allowed address or an administrator only', async () => {
    const anon = await new Client(env.server.url).get('/metrics');
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.doesNotMatch(anon.text, /postroom_emails/);
    const wrong = Client.withToken(env.server.url, 'metrics-token-for-prometheus-000000000');
    assert.equal((await wrong.get('/metrics')).status, 401);
    const hostToken = await env.token('erp');
    assert.equal((await hostToken.get('/metrics')).status, 401, 'an API token hands over e-mails; it does not read metrics');
    const prometheus = Client.withToken(env.server.url, METRICS_TOKEN);
    const scraped = await prometheus.get('/metrics');
    assert.equal(scraped.status, 200);
    assert.match(scraped.text, /^postroom_emails\{status="pending"\}/m);
    assert.equal((await env.admin.get('/metrics')).status, 200);

    const allowed = await startHttp(env.postroom, { metrics: { allow: ['127.0.0.0/8'] } });
    try {
      assert.equal((await new Client(allowed.url).get('/metrics')).status, 200, 'from an allowed address, no token is needed');
    } finally {
      await allowed.close();
    }
  });

  it('answers an allowed address only under an IP address or a name of ours: a rebinding page gets nothing', async () => {
    const allowed = await startHttp(env.postroom, { metrics: { allow: ['127.0.0.0/8'], hosts: ['postroom.internal'] } });
    const port = new URL(allowed.url).port;
    /** GET /metrics from 127.0.0.1 with this Host header (fetch will not set one). */
    const scrape = (host: string, authorization?: string, to = port) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: to, path: '/metrics', headers: { host, ...(authorization ? { authorization } : {}) } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
      });
    try {
      // A page of attacker.example, whose name now points here, reads it as its own origin.
      const rebound = await scrape(`attacker.example:${port}`);
      assert.equal(rebound.status, 403);
      assert.doesNotMatch(rebound.body, /postroom_emails/);
      assert.equal((JSON.parse(rebound.body) as { error: string }).error, 'forbidden');
      assert.match(rebound.body, /POSTROOM_METRICS_HOSTS, not attacker\.example/);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `postroom.internal:${port}`, 'POSTROOM.internal.']) {
        const r = await scrape(host);
        assert.equal(r.status, 200, host);
        assert.match(r.body, /^postroom_emails/m, host);
      }
    } finally {
      await allowed.close();
    }
    // The metrics token does not depend on the name it is sent to.
    const withToken = await startHttp(env.postroom, { metrics: { token: METRICS_TOKEN, allow: ['127.0.0.0/8'] } });
    try {
      const other = new URL(withToken.url).port;
      assert.equal((await scrape(`prometheus.example:${other}`, `Bearer ${METRICS_TOKEN}`, other)).status, 200);
      assert.equal((await scrape(`prometheus.example:${other}`, undefined, other)).status, 403);
    } finally {
      await withToken.close();
    }
  });
});

describe('console sessions and cookies', () => {
  let env: Awaited<ReturnType<typeof open>>;
  before(async () => {
    env = await open('sqlite', { trustProxy: ['127.0.0.1'] });
  });
  after(() => env.close());

  const login = (headers: Record<string, string> = {}) =>
    fetch(`${env.server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });

  it('marks the cookies Secure with the __Host- prefix when the request came over HTTPS through the trusted proxy, and reads only those then', async () => {
    const plain = (await login()).headers.getSetCookie();
    assert.ok(plain.some((c) => c.startsWith('postroom_session=')), plain.join(' | '));
    assert.ok(plain.every((c) => !/;\s*Secure/i.test(c)), 'plain HTTP: not Secure (the browser would drop it)');

    const res = await login({ 'x-forwarded-proto': 'https' });
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('__Host-postroom_session='));
    const csrf = cookies.find((c) => c.startsWith('__Host-csrf='));
    assert.match(session ?? '', /;\s*Secure/i, cookies.join(' | '));
    assert.match(session ?? '', /;\s*Path=\//i);
    assert.doesNotMatch(session ?? '', /Domain=/i, '__Host- cookies have no Domain');
    assert.match(csrf ?? '', /;\s*Secure/i);
    const value = (c: string | undefined) => (c ?? '').split(';')[0]?.split('=').slice(1).join('=') ?? '';
    const viaProxy = (cookie: string) =>
      fetch(`${env.server.url}/api/v1/auth/session`, { headers: { cookie, 'x-forwarded-proto': 'https' } });
    assert.equal((await viaProxy(`__Host-postroom_session=${value(session)}`)).status, 200, 'the prefixed cookie works over HTTPS');
    assert.equal((await viaProxy(`postroom_session=${value(session)}`)).status, 401, 'over HTTPS an unprefixed cookie (one a sibling host could set) is not read');
  });

  it('POSTROOM_SECURE_COOKIES forces Secure __Host- cookies, which then work behind a proxy that does not say the protocol', async () => {
    const forced = await startHttp(env.postroom, { secureCookies: true });
    try {
      const res = await fetch(`${forced.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
      const session = res.headers.getSetCookie().find((c) => c.startsWith('__Host-postroom_session='));
      assert.match(session ?? '', /;\s*Secure/i, res.headers.getSetCookie().join(' | '));
      const cookie = (session ?? '').split(';')[0] ?? '';
      assert.equal((await fetch(`${forced.url}/api/v1/auth/session`, { headers: { cookie } })).status, 200);
    } finally {
      await forced.close();
    }
  });

  it('ends a session left idle longer than the idle timeout', async () => {
    const db = env.db;
    const short = await openTestPostroom(db, { sessions: { idleMs: 400, lifetimeMs: 3600_000 } });
    const server = await startHttp(short);
    try {
      const c = new Client(server.url);
      assert.equal((await c.login(PASSWORD)).status, 200);
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 250));
        assert.equal((await c.get('/api/v1/auth/session')).status, 200, 'a session in use stays');
      }
      await new Promise((r) => setTimeout(r, 600));
      assert.equal((await c.get('/api/v1/auth/session')).status, 401, 'idle too long: signed out');
    } finally {
      await server.close();
      await short.close();
    }
  });

  it('POSTROOM_ADMIN_PASSWORD ends the sessions when it changes the password, and changes nothing when it is the password already', async () => {
    const c = new Client(env.server.url);
    assert.equal((await c.login(PASSWORD)).status, 200);
    await env.postroom.admins.prepare(PASSWORD);
    assert.equal((await c.get('/api/v1/auth/session')).status, 200, 'the same password: sessions stay');
    const NEW = 'a brand new admin password';
    await env.postroom.admins.prepare(NEW);
    assert.equal((await c.get('/api/v1/auth/session')).status, 401, 'a new password ends the old sessions');
    assert.equal((await new Client(env.server.url).login(PASSWORD)).status, 401, 'the old password no longer works');
    const fresh = new Client(env.server.url);
    assert.equal((await fresh.login(NEW)).status, 200);
    await env.postroom.admins.prepare(NEW);
    assert.equal((await fresh.get('/api/v1/auth/session')).status, 200, 'a restart with the same password keeps sessions');
    await env.postroom.admins.setPassword(PASSWORD);
  });
});

describe('users belong to the source that created them', () => {
  let env: Awaited<ReturnType<typeof open>>;
  before(async () => {
    env = await open('sqlite');
  });
  after(() => env.close());

  it("a token changes only its own users; an administrator changes any; a refused change leaves the user as it was", async () => {
    const shop = await env.token('shop');
    const crm = await env.token('crm');
    assert.equal((await shop.put('/api/v1/users/jdoe', { email: 'jdoe@corp.example', name: 'John Doe' })).status, 201);
    const hijack = await crm.put('/api/v1/users/jdoe', { email: 'attacker@evil.example', name: 'John Doe', emailSoftware: 'outlook-new' });
    assert.equal(hijack.status, 403, hijack.text);
    assert.match(hijack.body.message as string, /created by another application/);
    assert.equal((await shop.put('/api/v1/users/jdoe', { email: 'john.doe@corp.example', name: 'John Doe' })).status, 200, 'the owner may');
    assert.equal((await env.admin.put('/api/v1/users/jdoe', { email: 'john.doe@corp.example', name: 'J. Doe' })).status, 200, 'an administrator may');
    assert.equal((await env.admin.put('/api/v1/users/boss', { email: 'boss@corp.example', name: 'Boss' })).status, 201);
    assert.equal((await shop.put('/api/v1/users/boss', { email: 'x@evil.example' })).status, 403, "a user the administrator made is not a token's");
    const users = (await env.admin.get<{ id: string; email: string; name: string }[]>('/api/v1/users')).body;
    assert.deepEqual(users.map((u) => [u.id, u.email, u.name]), [['boss', 'boss@corp.example', 'Boss'], ['jdoe', 'john.doe@corp.example', 'J. Doe']]);
  });
});

describe('the connection test reads a bounded reply', () => {
  let env: Awaited<ReturnType<typeof open>>;
  before(async () => {
    env = await open('sqlite');
  });
  after(() => env.close());

  it('stops reading a server that sends an endless greeting, at once and with a clear step', async () => {
    let sent = 0;
    const flood = net.createServer((socket) => {
      socket.on('error', () => undefined);
      const line = `220-${'x'.repeat(100)}\r\n`.repeat(1000);
      const pump = () => {
        while (!socket.destroyed && socket.write(line)) {
          sent += line.length;
          if (sent > 200 * MB) return;
        }
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
    await new Promise<void>((r) => flood.listen(0, '127.0.0.1', () => r()));
    const port = (flood.address() as AddressInfo).port;
    try {
      await env.admin.patch('/api/v1/settings/email', { smtpHost: '127.0.0.1', smtpPort: port, startTls: true });
      const r = await timed(() => env.admin.post<{ ok: boolean; steps: { step: string; ok: boolean; detail: string }[] }>('/api/v1/settings/email/test-connection', {}));
      assert.equal(r.result.body.ok, false);
      assert.equal(r.result.body.steps.at(-1)?.step, 'connect', r.result.text);
      assert.match(r.result.body.steps.at(-1)?.detail ?? '', /sent a reply of more than \d+ characters; Postroom stopped reading/);
      assert.ok(r.ms < 5000, `answered in ${Math.round(r.ms)} ms, not at the 15 s timeout`);
      assert.ok(sent < 20 * MB, `${sent} bytes were pushed before Postroom hung up`);
    } finally {
      flood.close();
    }
  });
});
