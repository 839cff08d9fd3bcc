// The webhook routes over a real socket: a token registers and sees only its own webhooks, an
// administrator all; the secret once at 201; field-named refusals; the delivery log; OpenAPI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const PASSWORD = 'webhook api password';
type Hook = { id: number; url: string; events: string[]; scope: string; secret?: string };

describe('webhooks over HTTP', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let receiver: WebhookReceiver;
  let admin: Client;
  let erp: Client;
  let crm: Client;

  before(async () => {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db);
    await postroom.admins.setPassword(PASSWORD);
    await postroom.settings.update({ postmaster: 'noreply@example.com', webhooksAllowPrivate: true }, 'test');
    server = await startHttp(postroom);
    receiver = await startWebhookReceiver();
    admin = new Client(server.url);
    assert.equal((await admin.login(PASSWORD)).status, 200);
    erp = Client.withToken(server.url, (await postroom.tokens.create('erp', 'test')).token);
    crm = Client.withToken(server.url, (await postroom.tokens.create('crm', 'test')).token);
  });

  after(async () => {
    await server.close();
    await postroom.close();
    await receiver.close();
    await db.cleanup();
  });

  it('lets a token register a webhook (201, secret once) and see, log and remove only its own', async () => {
    const made = await erp.post<Hook>('/api/v1/webhooks', { url: receiver.url, events: ['email.cancelled'] });
    assert.equal(made.status, 201, made.text);
    assert.match(made.body.secret ?? '', /^whsec_/);
    assert.deepEqual([made.body.scope, made.body.events], ['own', ['email.cancelled']]);
    const byAdmin = await admin.post<Hook>('/api/v1/webhooks', { url: receiver.url });
    assert.equal(byAdmin.status, 201, byAdmin.text);
    assert.equal(byAdmin.body.scope, 'all');
    assert.equal(byAdmin.body.events.length, 8, 'all events when none are named');

    const mine = await erp.get<Hook[]>('/api/v1/webhooks');
    assert.deepEqual(mine.body.map((h) => h.id), [made.body.id]);
    assert.ok(!mine.text.includes(made.body.secret ?? '-'), 'never the secret again');
    assert.deepEqual((await crm.get<Hook[]>('/api/v1/webhooks')).body, []);
    assert.equal((await admin.get<Hook[]>('/api/v1/webhooks')).body.length, 2);

    assert.equal((await crm.del(`/api/v1/webhooks/${made.body.id}`)).status, 404, "another token's webhook is not there for it");
    assert.equal((await crm.get(`/api/v1/webhooks/${made.body.id}/deliveries`)).status, 404);

    const sent = await erp.post<{ id: number }>('/api/v1/emails', { to: ['a@example.org'], subject: 'x', text: 'x' });
    await postroom.queue.cancel(sent.body.id);
    await postroom.deliverer.round();
    const log = await erp.get<{ items: { type: string; status: string; lastStatus: number; emailId: number }[]; nextCursor: string | null }>(`/api/v1/webhooks/${made.body.id}/deliveries`);
    assert.equal(log.status, 200, log.text);
    assert.deepEqual(log.body.items.map((d) => [d.type, d.status, d.lastStatus, d.emailId]), [['email.cancelled', 'delivered', 200, sent.body.id]]);

    const metrics = await admin.get('/metrics');
    assert.match(metrics.text, /^postroom_webhook_deliveries\{state="delivered"\} 2$/m, "both deliveries (the token's webhook and the administrator's) are counted in /metrics");
    assert.match(metrics.text, /^postroom_webhooks_disabled 0$/m);

    assert.equal((await erp.del(`/api/v1/webhooks/${made.body.id}`)).status, 200);
    assert.equal((await admin.del(`/api/v1/webhooks/${byAdmin.body.id}`)).status, 200);
    assert.deepEqual((await admin.get<Hook[]>('/api/v1/webhooks')).body, []);
  });

  it('refuses a bad URL or event with 400 naming the field, storing nothing', async () => {
    for (const [body, field] of [
      [{ url: 'gopher://example.org/' }, 'url'],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'url'],
      [{ url: receiver.url, events: ['email.opened'] }, 'events.0'],
      [{ url: receiver.url, events: [] }, 'events'],
      [{ events: ['email.sent'] }, 'url'],
      [{ url: receiver.url, secret: 'mine' }, '(body)'],
    ] as const) {
      const r = await erp.post<{ fields: { field: string; message: string }[] }>('/api/v1/webhooks', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.fields[0]?.field, field, `${JSON.stringify(body)}: ${r.text}`);
    }
    assert.deepEqual((await admin.get<Hook[]>('/api/v1/webhooks')).body, [], 'nothing stored');
  });

  it('needs a session with CSRF or a token, and describes the routes in the OpenAPI document', async () => {
    assert.equal((await new Client(server.url).post('/api/v1/webhooks', { url: receiver.url })).status, 401);
    const noCsrf = new Client(server.url);
    await noCsrf.login(PASSWORD);
    noCsrf.csrf = false;
    assert.equal((await noCsrf.post('/api/v1/webhooks', { url: receiver.url })).status, 403);
    const doc = await admin.get<{ paths: Record<string, Record<string, unknown>> }>('/api/v1/openapi.json');
    for (const p of ['/api/v1/webhooks', '/api/v1/webhooks/{id}', '/api/v1/webhooks/{id}/deliveries', '/api/v1/webhooks/{id}/enable']) {
      assert.ok(doc.body.paths[p], `${p} is described`);
    }
  });
});
