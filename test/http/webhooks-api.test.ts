// The webhook routes over a real socket: a token registers and sees only its own webhooks, an
// administrator all; the secret once at 201; field-named refusals; the delivery log; OpenAPI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const PASSWORD = 'webhook api password';
type Hook = { id: number; url: string; events: string[]; scope: string; allowPrivateTarget: boolean; secret?: string };

describe('webhooks over HTTP', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let receiver: WebhookReceiver;
  let admin: Client;
  let erp: Client;
  let crm: Client;
  let erpId: number;

  before(async () => {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db);
    await postroom.admins.setPassword(PASSWORD);
    await postroom.settings.update({ postmaster: 'noreply@example.com' }, 'test');
    server = await startHttp(postroom);
    receiver = await startWebhookReceiver();
    admin = new Client(server.url);
    assert.equal((await admin.login(PASSWORD)).status, 200);
    const erpToken = await postroom.tokens.create('erp', 'test');
    erpId = erpToken.id;
    erp = Client.withToken(server.url, erpToken.token);
    crm = Client.withToken(server.url, (await postroom.tokens.create('crm', 'test')).token);
  });

  after(async () => {
    await server.close();
    await postroom.close();
    await receiver.close();
    await db.cleanup();
  });

  it('lets a token register a webhook (201, secret once) and see, log and remove only its own', async () => {
    // A token's own webhook goes to a public address (no delivery is made to it here: it hears of sent e-mails).
    const made = await erp.post<Hook>('/api/v1/webhooks', { url: 'http://203.0.113.10/hooks', events: ['email.sent'] });
    assert.equal(made.status, 201, made.text);
    assert.match(made.body.secret ?? '', /^whsec_/);
    assert.deepEqual([made.body.scope, made.body.events, made.body.allowPrivateTarget], ['own', ['email.sent'], false]);
    // Its receiver on the company network is registered for it by an administrator.
    const forErp = await admin.post<Hook>('/api/v1/webhooks', { url: receiver.url, events: ['email.cancelled'], allowPrivateTarget: true, forToken: erpId });
    assert.equal(forErp.status, 201, forErp.text);
    assert.deepEqual([forErp.body.scope, forErp.body.allowPrivateTarget], ['own', true]);
    const byAdmin = await admin.post<Hook>('/api/v1/webhooks', { url: receiver.url, allowPrivateTarget: true });
    assert.equal(byAdmin.status, 201, byAdmin.text);
    assert.equal(byAdmin.body.scope, 'all');
    assert.equal(byAdmin.body.events.length, 8, 'all events when none are named');

    const mine = await erp.get<Hook[]>('/api/v1/webhooks');
    assert.deepEqual(mine.body.map((h) => h.id), [made.body.id, forErp.body.id]);
    assert.ok(!mine.text.includes(made.body.secret ?? '-'), 'never the secret again');
    assert.deepEqual((await crm.get<Hook[]>('/api/v1/webhooks')).body, []);
    assert.equal((await admin.get<Hook[]>('/api/v1/webhooks')).body.length, 3);

    assert.equal((await crm.del(`/api/v1/webhooks/${forErp.body.id}`)).status, 404, "another token's webhook is not there for it");
    assert.equal((await crm.get(`/api/v1/webhooks/${forErp.body.id}/deliveries`)).status, 404);

    const sent = await erp.post<{ id: number }>('/api/v1/emails', { to: ['a@example.org'], subject: 'x', text: 'x' });
    await postroom.queue.cancel(sent.body.id);
    await postroom.deliverer.round();
    type Log = { items: { type: string; status: string; lastStatus: number; emailId: number; lastBodyExcerpt: string | null }[]; nextCursor: string | null };
    const log = await erp.get<Log>(`/api/v1/webhooks/${forErp.body.id}/deliveries`);
    assert.equal(log.status, 200, log.text);
    assert.deepEqual(log.body.items.map((d) => [d.type, d.status, d.lastStatus, d.emailId]), [['email.cancelled', 'delivered', 200, sent.body.id]]);
    // What a receiver on the company network answered is for the administrator's eyes.
    assert.equal(log.body.items[0]?.lastBodyExcerpt, null, 'the token reads the status, never the body');
    const adminLog = await admin.get<Log>(`/api/v1/webhooks/${forErp.body.id}/deliveries`);
    assert.equal(adminLog.body.items[0]?.lastBodyExcerpt, 'ok');

    const metrics = await admin.get('/metrics');
    assert.match(metrics.text, /^postroom_webhook_deliveries\{state="delivered"\} 2$/m, "both deliveries (the token's webhook and the administrator's) are counted in /metrics");
    assert.match(metrics.text, /^postroom_webhooks_disabled 0$/m);

    for (const id of [made.body.id, forErp.body.id]) assert.equal((await erp.del(`/api/v1/webhooks/${id}`)).status, 200);
    assert.equal((await admin.del(`/api/v1/webhooks/${byAdmin.body.id}`)).status, 200);
    assert.deepEqual((await admin.get<Hook[]>('/api/v1/webhooks')).body, []);
  });

  it('refuses a private address to a token, which may not allow one itself; an administrator allows it per webhook', async () => {
    const refused = await erp.post<{ fields: { field: string; message: string }[] }>('/api/v1/webhooks', { url: receiver.url });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.fields.map((f) => f.field), ['url']);
    assert.match(refused.body.fields[0]?.message ?? '', /private or loopback address \(an administrator may allow it for one webhook: allowPrivateTarget\)/);
    const selfAllowed = await erp.post<{ fields: { field: string; message: string }[] }>('/api/v1/webhooks', { url: receiver.url, allowPrivateTarget: true, forToken: 99 });
    assert.equal(selfAllowed.status, 400);
    assert.deepEqual(selfAllowed.body.fields, [
      { field: 'allowPrivateTarget', message: 'only an administrator may set it' },
      { field: 'forToken', message: 'only an administrator may set it' },
    ]);
    const adminWithout = await admin.post<{ fields: { field: string }[] }>('/api/v1/webhooks', { url: receiver.url });
    assert.equal(adminWithout.status, 400, 'an administrator says so for each webhook: no global switch');
    const noSuchToken = await admin.post<{ fields: { field: string; message: string }[] }>('/api/v1/webhooks', { url: receiver.url, allowPrivateTarget: true, forToken: 9999 });
    assert.equal(noSuchToken.status, 400);
    assert.deepEqual(noSuchToken.body.fields, [{ field: 'forToken', message: 'token 9999 does not exist or is revoked' }]);
    // The old switch is gone, and says where it went.
    const old = await admin.patch<{ fields: { field: string; message: string }[] }>('/api/v1/settings/email', { webhooksAllowPrivate: true });
    assert.equal(old.status, 400);
    assert.match(old.body.fields[0]?.message ?? '', /no longer a setting.*allowPrivateTarget/);
    assert.deepEqual((await admin.get<Hook[]>('/api/v1/webhooks')).body, [], 'nothing stored');
  });

  it('gives a token at most 10 webhooks, even asked at once; an administrator\'s for it count too', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => erp.post<{ error: string; message: string }>('/api/v1/webhooks', { url: `http://203.0.113.${i + 1}/h`, events: ['email.sent'] })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [...Array<number>(10).fill(201), 409, 409]);
    const over = answers.find((a) => a.status === 409);
    assert.equal(over?.body.error, 'webhook_limit');
    assert.match(over?.body.message ?? '', /a token may have 10 webhooks/);
    const forIt = await admin.post<{ error: string }>('/api/v1/webhooks', { url: receiver.url, allowPrivateTarget: true, forToken: erpId });
    assert.equal(forIt.status, 409);
    assert.equal((await crm.post('/api/v1/webhooks', { url: 'http://203.0.113.50/h' })).status, 201, 'another token is not affected');
    assert.equal((await admin.post('/api/v1/webhooks', { url: 'http://203.0.113.51/h' })).status, 201, "nor the administrators' own");
    for (const h of (await admin.get<Hook[]>('/api/v1/webhooks')).body) await admin.del(`/api/v1/webhooks/${h.id}`);
  });

  it('refuses a bad URL or event with 400 naming the field, storing nothing', async () => {
    for (const [body, field] of [
      [{ url: 'gopher://example.org/' }, 'url'],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'url'],
      [{ url: 'http://203.0.113.9/h', events: ['email.opened'] }, 'events.0'],
      [{ url: 'http://203.0.113.9/h', events: [] }, 'events'],
      [{ events: ['email.sent'] }, 'url'],
      [{ url: 'http://203.0.113.9/h', secret: 'mine' }, '(body)'],
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
