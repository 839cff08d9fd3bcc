// POST /api/v1/emails/batch on each backend, over a real HTTP server: one result per e-mail in
// order, bad e-mails refused alone, idempotency keys per e-mail, the rate counted per e-mail, and
// a batch the storage cannot take refused whole (a real tmpfs that fills).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { BACKENDS, createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';

type Item = { index: number; id?: number; status?: string; messageId?: string; duplicate?: boolean; error?: { code: string; message: string; fields: { field: string; message: string }[] } };
const email = (i: number, extra: Record<string, unknown> = {}) => ({ to: [`customer${i}@example.org`], subject: `Invoice ${i}`, text: `Invoice ${i} attached.`, ...extra });

for (const backend of BACKENDS) {
  describe(`hand-over in batches (${backend})`, () => {
    let db: TestDatabase;
    let postroom: Postroom;
    let server: TestServer;
    let erp: Client;

    before(async () => {
      db = await createTestDatabase(backend);
      postroom = await openTestPostroom(db);
      await postroom.settings.update({ postmaster: 'noreply@corp.example' }, 'test');
      server = await startHttp(postroom, { handOver: { perMinute: 1000, concurrent: 8 } });
      erp = Client.withToken(server.url, (await postroom.tokens.create('erp', 'test')).token);
    });
    after(async () => {
      await server.close();
      await postroom.close();
      await db.cleanup();
    });

    it('answers one result per e-mail in order: the valid stored, each bad one refused alone with its field', async () => {
      const before = await postroom.queue.counts();
      const r = await erp.post<{ results: Item[] }>('/api/v1/emails/batch', {
        emails: [
          email(1),
          { subject: 'no recipient', text: 'x' },
          email(3, { subject: 'bell \u0007 here' }),
          email(4, { attachments: [{ filename: 'invoice-4.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.7 four').toString('base64') }] }),
          'not an object',
          email(6, { compose: true, sender: { email: 'someone@corp.example' } }),
        ],
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.results.map((x) => x.index), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(r.body.results.map((x) => (x.error ? `refused ${x.error.fields[0]?.field}` : x.status)), ['pending', 'refused to', 'refused subject', 'pending', 'refused (body)', 'refused compose']);
      assert.equal(r.body.results[1]?.error?.code, 'invalid_request');
      const first = r.body.results[0];
      const stored = await postroom.queue.show(first?.id ?? 0);
      assert.equal(stored.subject, 'Invoice 1');
      assert.equal(stored.messageId, first?.messageId);
      const withFile = await postroom.queue.show(r.body.results[3]?.id ?? 0);
      assert.equal(withFile.attachments[0]?.filename, 'invoice-4.pdf');
      assert.equal((await postroom.queue.counts()).pending - before.pending, 2, 'two e-mails stored, no more');
    });

    it('says why an address is refused in words, as the command line does (the domain has no dot)', async () => {
      const r = await erp.post<{ fields: { field: string; message: string }[] }>('/api/v1/emails', email(1, { to: ['alice@exmaple'] }));
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.fields[0], { field: 'to.0', message: 'is not a valid e-mail address (the domain "exmaple" has no dot: a full domain such as example.org is needed)' });
      const named = await erp.post<{ fields: { field: string; message: string }[] }>('/api/v1/emails', email(1, { to: [{ email: 'bob@@example.org', name: 'Bob' }] }));
      assert.deepEqual(named.body.fields[0], { field: 'to.0.email', message: 'is not a valid e-mail address (it has more than one @)' });
    });

    it('keeps idempotency keys per e-mail: a key seen before, and the same key twice in one batch, make no new e-mail', async () => {
      const firstRun = await erp.post<{ results: Item[] }>('/api/v1/emails/batch', { emails: [email(10, { idempotencyKey: 'inv-10' }), email(11, { idempotencyKey: 'inv-11' })] });
      const again = await erp.post<{ results: Item[] }>('/api/v1/emails/batch', {
        emails: [email(10, { idempotencyKey: 'inv-10' }), email(12, { idempotencyKey: 'inv-12' }), email(12, { idempotencyKey: 'inv-12' }), email(13)],
      });
      const [ten, twelve, twelveAgain, thirteen] = again.body.results;
      assert.deepEqual([ten?.id, ten?.duplicate], [firstRun.body.results[0]?.id, true]);
      assert.equal(twelve?.duplicate, false);
      assert.deepEqual([twelveAgain?.id, twelveAgain?.duplicate], [twelve?.id, true], 'the second inv-12 is the first one');
      assert.equal(thirteen?.duplicate, false);
      const keyed = await postroom.store.db.selectFrom('emails').select('idempotency_key').where('idempotency_key', 'like', 'inv-%').execute();
      assert.deepEqual(keyed.map((k) => k.idempotency_key).sort(), ['inv-10', 'inv-11', 'inv-12']);
    });

    it('refuses a batch with no e-mails or more than 500 as a whole, naming emails, and stores nothing', async () => {
      const before = await postroom.queue.counts();
      for (const body of [{ emails: [] }, { emails: Array.from({ length: 501 }, (_, i) => email(i)) }, { emails: 'x' }, {}, { emails: [email(1)], extra: 1 }]) {
        const r = await erp.post<{ error: string; fields: { field: string }[] }>('/api/v1/emails/batch', body);
        assert.equal(r.status, 400, r.text.slice(0, 200));
        assert.equal(r.body.error, 'invalid_request');
      }
      assert.deepEqual(await postroom.queue.counts(), before);
    });

    it("counts every e-mail of a batch against the token's rate: a batch that would go over is refused whole with 429", async () => {
      const crm = Client.withToken(server.url, (await postroom.tokens.create('crm', 'test')).token);
      const ok = await crm.post<{ results: Item[] }>('/api/v1/emails/batch', { emails: Array.from({ length: 500 }, (_, i) => email(i)) });
      assert.equal(ok.status, 200);
      const ok2 = await crm.post<{ results: Item[] }>('/api/v1/emails/batch', { emails: Array.from({ length: 400 }, (_, i) => email(i)) });
      assert.equal(ok2.status, 200);
      const before = await postroom.queue.counts();
      const over = await crm.post<{ error: string; message: string }>('/api/v1/emails/batch', { emails: Array.from({ length: 200 }, (_, i) => email(i)) });
      assert.equal(over.status, 429);
      assert.equal(over.body.error, 'rate_limited');
      assert.ok(Number(over.headers.get('retry-after')) > 0, 'Retry-After says when');
      assert.deepEqual(await postroom.queue.counts(), before, 'nothing of it stored');
    });
  });
}

describe('a batch the storage cannot take', () => {
  it('is refused whole with 507 when the disk fills during it: no e-mail is reported stored, none is', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-batch-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m,mode=0755', 'tmpfs', dir], { stdio: 'pipe' });
    const db = await createTestDatabase('sqlite');
    const postroom = await openTestPostroom(db, { dataDir: path.join(dir, 'data') });
    const server = await startHttp(postroom);
    try {
      await postroom.settings.update({ postmaster: 'noreply@corp.example' }, 'test');
      const erp = Client.withToken(server.url, (await postroom.tokens.create('erp', 'test')).token);
      // What else lives on that disk leaves too little room for the batch (20 × 250 KB).
      fs.writeFileSync(path.join(dir, 'old-backup.tar'), Buffer.alloc(3 * 1024 * 1024, 1));
      const big = 'x'.repeat(250_000);
      const r = await erp.post<{ error: string }>('/api/v1/emails/batch', { emails: Array.from({ length: 20 }, (_, i) => email(i, { text: big })) });
      assert.equal(r.status, 507, r.text.slice(0, 300));
      assert.equal(r.body.error, 'storage_full');
      assert.ok(r.headers.get('retry-after'), 'Retry-After says when');
      assert.equal((await postroom.queue.counts()).pending, 0, 'none of the batch is stored');
      // Space freed: the same batch goes in whole.
      fs.rmSync(path.join(dir, 'old-backup.tar'));
      let answer = await erp.post<{ results: Item[] }>('/api/v1/emails/batch', { emails: Array.from({ length: 20 }, (_, i) => email(i, { text: big })) });
      for (let i = 0; i < 20 && answer.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        answer = await erp.post<{ results: Item[] }>('/api/v1/emails/batch', { emails: Array.from({ length: 20 }, (_, k) => email(k, { text: big })) });
      }
      assert.equal(answer.status, 200, answer.text.slice(0, 300));
      assert.equal(answer.body.results.filter((x) => x.status === 'pending').length, 20);
    } finally {
      await server.close();
      await postroom.close();
      await db.cleanup();
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
