// The OpenAPI document tells the truth: real answers of the main routes, over a real socket,
// validate against the response schemas it declares; and the console's generated types are current.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Postroom } from '../../src/app.js';
import { API_TYPES_FILE, apiTypesSource } from '../../scripts/api-types.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type Answer, type TestServer } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startDovecot } from '../helpers/dovecot.js';
import { fillFixture } from '../helpers/reports.js';

const PASSWORD = 'correct horse battery staple';

interface Document {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
}

describe('OpenAPI response schemas', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let sink: SmtpSink;
  let admin: Client;
  let doc: Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validators = new Map<string, ValidateFunction>();
  const checked = new Set<string>();
  const route = { ca: testPki().caPem };

  /** Fails unless the answer has a declared status and its body validates against that status's schema. */
  function conforms(method: string, template: string, status: number, answer: Answer<unknown>): void {
    const key = `${method} ${template} ${answer.status}`;
    assert.equal(answer.status, status, `${method} ${template}: ${answer.text.slice(0, 300)}`);
    const response = doc.paths[`/api/v1${template}`]?.[method.toLowerCase()]?.responses[String(answer.status)];
    assert.ok(response, `${key} is not declared in the document: ${answer.text.slice(0, 300)}`);
    const schema = response.content?.['application/json']?.schema;
    assert.ok(schema, `${key} declares no JSON body schema`);
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile({ ...schema, components: doc.components });
      validators.set(key, validate);
    }
    assert.ok(validate(answer.body), `${key} does not match its schema: ${ajv.errorsText(validate.errors)}\n${answer.text.slice(0, 500)}`);
    checked.add(`${method} ${template}`);
  }

  before(async () => {
    sink = await startSmtpSink({ auth: { user: 'relay', pass: 'relay-password-1' } });
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { route } });
    await postroom.admins.setPassword(PASSWORD);
    server = await startHttp(postroom, { route });
    admin = new Client(server.url);
    doc = (await admin.get<Document>('/api/v1/openapi.json')).body;
  });

  after(async () => {
    await server.close();
    await postroom.close();
    await sink.close();
    await db.cleanup();
  });

  it('sign-in, settings, connection test and audit answer as declared', async () => {
    conforms('POST', '/auth/login', 401, await admin.login('a wrong password'));
    conforms('POST', '/auth/login', 200, await admin.login(PASSWORD));
    conforms('GET', '/auth/session', 200, await admin.get('/api/v1/auth/session'));
    conforms('GET', '/settings/email', 200, await admin.get('/api/v1/settings/email'));
    conforms('PATCH', '/settings/email', 400, await admin.patch('/api/v1/settings/email', { smtpPort: 70000 }));
    const saved = await admin.patch('/api/v1/settings/email', { ...sinkSettings(sink.port), enabled: false, smtpUser: 'relay', smtpPassword: 'relay-password-1', outlookNewAddress: 'drafts@example.com' });
    conforms('PATCH', '/settings/email', 200, saved);
    conforms('GET', '/settings/email/fields', 200, await admin.get('/api/v1/settings/email/fields'));
    conforms('GET', '/settings/email/presets', 200, await admin.get('/api/v1/settings/email/presets'));
    conforms('POST', '/settings/email/presets/{name}', 404, await admin.post('/api/v1/settings/email/presets/nope'));
    const test = await admin.post<{ ok: boolean; steps: { reply?: string }[] }>('/api/v1/settings/email/test-connection', {});
    assert.equal(test.body.ok, true, test.text);
    assert.ok(test.body.steps.some((s) => s.reply), 'the steps carry server replies');
    conforms('POST', '/settings/email/test-connection', 200, test);
    conforms('POST', '/settings/email/test-email', 200, await admin.post('/api/v1/settings/email/test-email', { to: 'admin@example.com' }));
    conforms('GET', '/audit', 200, await admin.get('/api/v1/audit'));
  });

  it('e-mails, users and tokens answer as declared', async () => {
    assert.equal((await admin.login(PASSWORD)).status, 200);
    const handed = await admin.post<{ id: number }>('/api/v1/emails', { to: ['alice@example.org', { email: 'bob@example.org', name: 'Bob' }], subject: 'Hi', text: 'x', idempotencyKey: 'k1' });
    conforms('POST', '/emails', 202, handed);
    conforms('POST', '/emails', 200, await admin.post('/api/v1/emails', { to: ['alice@example.org'], subject: 'Hi', text: 'x', idempotencyKey: 'k1' }));
    conforms('POST', '/emails', 400, await admin.post('/api/v1/emails', { to: ['not an address'], subject: 'Hi' }));
    conforms('GET', '/emails', 200, await admin.get('/api/v1/emails?limit=1'));
    conforms('GET', '/emails/counts', 200, await admin.get('/api/v1/emails/counts'));
    conforms('GET', '/emails/hourly', 200, await admin.get('/api/v1/emails/hourly?hours=3'));
    conforms('GET', '/emails/{id}', 200, await admin.get(`/api/v1/emails/${handed.body.id}`));
    conforms('GET', '/emails/{id}', 404, await admin.get('/api/v1/emails/999999'));
    conforms('POST', '/emails/{id}/cancel', 200, await admin.post(`/api/v1/emails/${handed.body.id}/cancel`));
    conforms('POST', '/emails/{id}/cancel', 409, await admin.post(`/api/v1/emails/${handed.body.id}/cancel`));
    conforms('POST', '/emails/{id}/retry', 200, await admin.post(`/api/v1/emails/${handed.body.id}/retry`));
    conforms('POST', '/emails/release-held', 200, await admin.post('/api/v1/emails/release-held'));
    conforms('PUT', '/users/{id}', 201, await admin.put('/api/v1/users/jdoe', { email: 'jdoe@example.org', name: 'J. Doe', emailSoftware: 'server' }));
    conforms('PUT', '/users/{id}', 200, await admin.put('/api/v1/users/jdoe', { email: 'jdoe@example.org', name: 'John Doe', emailSoftware: 'outlook-new' }));
    conforms('GET', '/users', 200, await admin.get('/api/v1/users'));
    const token = await admin.post<{ id: number }>('/api/v1/tokens', { name: 'erp' });
    conforms('POST', '/tokens', 201, token);
    conforms('GET', '/tokens', 200, await admin.get('/api/v1/tokens'));
    conforms('DELETE', '/tokens/{id}', 200, await admin.del(`/api/v1/tokens/${token.body.id}`));
    conforms('DELETE', '/tokens/{id}', 404, await admin.del(`/api/v1/tokens/${token.body.id}`));
    conforms('POST', '/auth/logout', 200, await admin.post('/api/v1/auth/logout'));
    conforms('GET', '/settings/email', 401, await admin.get('/api/v1/settings/email'));
  });

  it('bounce processing and what it finds answer as declared: recipients, reports, the raw report, the checks', async () => {
    const dovecot = await startDovecot({ users: { relay: 'relay-password-1' } });
    try {
      assert.equal((await admin.login(PASSWORD)).status, 200);
      conforms('GET', '/settings/email/bounces', 200, await admin.get('/api/v1/settings/email/bounces'));
      conforms('POST', '/settings/email/bounces/check', 200, await admin.post('/api/v1/settings/email/bounces/check'));
      await admin.patch('/api/v1/settings/email', { enabled: true, bounceProcessing: true, imapPort: dovecot.imapPort, outlookNewAddress: '' });
      const handed = await admin.post<{ id: number; messageId: string }>('/api/v1/emails', { to: ['carol@example.net', 'dan@example.net'], subject: 'Invoice', text: 'x' });
      await postroom.dispatcher.runCampaign();
      const accepted = await admin.get<{ recipients: { recipient: string; state: string }[] }>(`/api/v1/emails/${handed.body.id}`);
      conforms('GET', '/emails/{id}', 200, accepted);
      assert.deepEqual(accepted.body.recipients.map((r) => [r.recipient, r.state]), [['carol@example.net', 'accepted'], ['dan@example.net', 'accepted']], 'every recipient listed, not []');
      const facts = { postmaster: 'postmaster@example.com', tag: postroom.tags.tag(handed.body.id, handed.body.messageId), messageId: handed.body.messageId, recipients: ['carol@example.net', 'dan@example.net'], subject: 'Invoice' };
      await dovecot.deliver('relay', fillFixture('11-sendmail-two-recipients-failed-and-delayed.eml', facts));
      const check = await admin.post<{ outcome: string }>('/api/v1/settings/email/bounces/check');
      conforms('POST', '/settings/email/bounces/check', 200, check);
      assert.equal(check.body.outcome, 'done', check.text);
      conforms('GET', '/settings/email/bounces', 200, await admin.get('/api/v1/settings/email/bounces'));
      const test = await admin.post<{ ok: boolean; steps: { step: string; ok: boolean; detail: string }[] }>('/api/v1/settings/email/test-connection', {});
      conforms('POST', '/settings/email/test-connection', 200, test);
      assert.deepEqual(test.body.steps.at(-1)?.step, 'mailbox', 'with bounce processing on, Test connection opens the mailbox too');
      assert.equal(test.body.ok, true, test.text);
      const bounced = await admin.get<{ recipients: { state: string }[]; reports: { id: number }[]; bounced: string }>(`/api/v1/emails/${handed.body.id}`);
      conforms('GET', '/emails/{id}', 200, bounced);
      assert.deepEqual(bounced.body.recipients.map((r) => r.state), ['bounced', 'accepted']);
      conforms('GET', '/emails', 200, await admin.get('/api/v1/emails?limit=5'));
      const raw = await admin.get<{ raw: string }>(`/api/v1/emails/${handed.body.id}/reports/${bounced.body.reports[0]?.id}/raw`);
      conforms('GET', '/emails/{id}/reports/{reportId}/raw', 200, raw);
      assert.match(raw.body.raw, /multipart\/report/);
      conforms('GET', '/emails/{id}/reports/{reportId}/raw', 404, await admin.get(`/api/v1/emails/${handed.body.id}/reports/999999/raw`));
    } finally {
      await dovecot.close();
    }
  });

  it('declares a JSON body schema for every answer of every route', () => {
    for (const [p, methods] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(methods)) {
        for (const [status, r] of Object.entries(op.responses)) {
          assert.ok(r.content?.['application/json']?.schema, `${m.toUpperCase()} ${p} ${status} has a body schema`);
        }
      }
    }
  });

  it('generated web/src/api-types.ts from this document (run npm run gen:api if not)', async () => {
    const current = await apiTypesSource(doc as unknown as Record<string, unknown>);
    // Compared as a boolean: assert.equal's diff of two 100 KB texts runs for minutes.
    const onDisk = fs.readFileSync(API_TYPES_FILE, 'utf8');
    const firstDifference = [...onDisk].findIndex((c, i) => c !== current[i]);
    assert.equal(onDisk === current, true, `web/src/api-types.ts is stale (first difference near: ${JSON.stringify(current.slice(Math.max(0, firstDifference - 80), firstDifference + 80))}): run npm run gen:api and commit it`);
  });
});
