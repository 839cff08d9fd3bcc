// The typed client (client/) against a real Postroom server and webhook receiver: hand over, read
// back, register a webhook, check the event's signature with the client's helper; refusals typed;
// and its generated parts current with the server code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createPostroomClient, PostroomApiError, verifySignature, type PostroomClient } from '../../client/index.js';
import type { Postroom } from '../../src/app.js';
import { apiTypesSource } from '../../scripts/api-types.js';
import { CLIENT_SIGNATURE_FILE, CLIENT_TYPES_FILE, signatureCopy } from '../../scripts/client.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { startHttp, type TestServer } from '../helpers/http.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

describe('typed client', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let receiver: WebhookReceiver;
  let client: PostroomClient;
  let tokenId: number;

  before(async () => {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db);
    await postroom.settings.update({ postmaster: 'noreply@example.com' }, 'test');
    server = await startHttp(postroom);
    receiver = await startWebhookReceiver();
    const token = await postroom.tokens.create('erp', 'test');
    tokenId = token.id;
    client = createPostroomClient({ baseUrl: server.url, token: token.token });
  });

  after(async () => {
    await server.close();
    await postroom.close();
    await receiver.close();
    await db.cleanup();
  });

  it('hands over, registers a webhook, and verifies the signed event it receives', async () => {
    const own = await client.createWebhook({ url: 'http://203.0.113.7/hooks', events: ['email.sent'] });
    assert.deepEqual([own.scope, own.allowPrivateTarget], ['own', false]);
    assert.deepEqual(await client.removeWebhook(own.id), { removed: own.id });
    // The receiver is on this machine: a private address, which an administrator registers for the token.
    const hook = await postroom.webhooks.create({ url: receiver.url, events: ['email.cancelled'], allowPrivateTarget: true, forToken: tokenId }, { kind: 'admin', actor: 'admin:test' });
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const { id, status } = await client.handOver({ to: ['a@example.org'], subject: 'Invoice 7', text: 'x', idempotencyKey: 'inv-7', sendAt });
    assert.equal(status, 'pending');
    assert.equal((await client.handOver({ to: ['a@example.org'], subject: 'Invoice 7', text: 'x', idempotencyKey: 'inv-7' })).id, id, 'same key, same e-mail');
    assert.equal((await client.getEmail(id)).scheduledAt, sendAt);
    assert.deepEqual((await client.listEmails({ limit: 5 })).items.map((e) => e.id), [id]);

    await postroom.queue.cancel(id);
    await postroom.deliverer.round();
    const [event] = await receiver.waitFor(1);
    assert.equal(verifySignature(event?.raw ?? '', event?.signature, hook.secret), true, "the client's helper accepts the signature");
    assert.equal(event?.body.data.email.idempotencyKey, 'inv-7');
    assert.equal((await client.webhookDeliveries(hook.id)).items[0]?.status, 'delivered');
    assert.deepEqual((await client.listWebhooks()).map((h) => h.id), [hook.id]);
    assert.deepEqual(await client.removeWebhook(hook.id), { removed: hook.id });
  });

  it('hands over many e-mails in batches of 500, a result for each in order; one bad e-mail refuses itself only', async () => {
    const emails = Array.from({ length: 1_100 }, (_, i) => ({ to: [`c${i}@example.org`], subject: `Invoice ${i}`, text: 'x' }));
    emails[777] = { to: [], subject: 'nobody', text: 'x' };
    const results = await client.handOverMany(emails);
    assert.deepEqual(results.map((r) => r.index), emails.map((_, i) => i));
    const refused = results.filter((r) => 'error' in r);
    assert.deepEqual(refused.map((r) => [r.index, 'error' in r ? r.error.fields?.[0]?.field : '']), [[777, 'to']]);
    const stored = results.filter((r): r is Extract<typeof r, { id: number }> => 'id' in r);
    assert.equal(new Set(stored.map((r) => r.id)).size, 1_099);
    assert.equal((await client.getEmail(stored[1_000]?.id ?? 0)).subject, 'Invoice 1001');
  });

  it('throws a PostroomApiError with the code and the fields at fault', async () => {
    const err = await client.createWebhook({ url: 'http://169.254.169.254/' }).catch((e: unknown) => e);
    assert.ok(err instanceof PostroomApiError, `expected a PostroomApiError, got ${String(err)}`);
    assert.deepEqual([err.status, err.code, err.fields[0]?.field], [400, 'invalid_request', 'url']);
  });

  it('has generated parts current with the server code (run npm run gen:client if not)', async () => {
    const types = (await apiTypesSource()).replace('`npm run gen:api` (scripts/api-types.ts)', '`npm run gen:client` (scripts/client.ts)');
    assert.equal(fs.readFileSync(CLIENT_TYPES_FILE, 'utf8') === types, true, 'client/api-types.ts is current');
    assert.equal(fs.readFileSync(CLIENT_SIGNATURE_FILE, 'utf8') === signatureCopy(), true, 'client/signature.ts is the server helper');
  });
});
