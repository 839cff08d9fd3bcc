// Scheduled sending (sendAt) on each real backend: the e-mail waits as pending until its time,
// says when it is scheduled for, can be cancelled before, and a bad time is refused by field.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { EmailInputError } from '../../src/queue/index.js';
import { BACKENDS, SKIP_POSTGRES, createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp } from '../helpers/http.js';

const mail = { to: ['a@example.org'], subject: 'Reminder', text: 'Tomorrow at nine.' };

async function refusedFields(p: Postroom, input: unknown): Promise<{ field: string; message: string }[]> {
  try {
    await p.queue.handOver(input, 'test');
  } catch (err) {
    assert.ok(err instanceof EmailInputError, `expected an EmailInputError, got ${String(err)}`);
    return err.errors;
  }
  assert.fail('the e-mail was accepted');
}

describe('scheduled sending', { concurrency: BACKENDS.length }, () => {
  for (const backend of BACKENDS) {
    describe(`scheduled sending (${backend})`, { concurrency: 1, skip: backend === 'postgres' && SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, () => {
      let db: TestDatabase;
      let p: Postroom;

      beforeEach(async () => {
        db = await createTestDatabase(backend);
        p = await openTestPostroom(db);
        await p.settings.update({ postmaster: 'noreply@example.com' }, 'test');
      });

      afterEach(async () => {
        await p.close();
        await db.cleanup();
      });

      it('keeps an e-mail pending and unclaimed until its sendAt, then it is due', async () => {
        const at = new Date(Date.now() + 3_600_000);
        const { id } = await p.queue.handOver({ ...mail, sendAt: at.toISOString() }, 'test');
        const e = await p.queue.show(id);
        assert.equal(e.status, 'pending');
        assert.equal(e.scheduledAt, at.toISOString(), 'the API says when it is scheduled for');
        assert.equal(e.nextAttemptAt, at.toISOString());
        const now = Date.now();
        assert.deepEqual(await p.queue.lifecycle.claim('test', now, 60_000, 10), [], 'nothing claimed before its time');
        assert.equal(await p.queue.oldestDueAgeMs(), 0, 'not counted as waiting to be sent');
        const claimed = await p.queue.lifecycle.claim('test', at.getTime() + 1, 60_000, 10);
        assert.deepEqual(claimed.map((r) => r.id), [id], 'claimed once its time has come');
      });

      it('accepts an offset, treats a past time as now, and can be cancelled before its time', async () => {
        const soon = new Date(Date.now() + 86_400_000);
        const offset = soon.toISOString().replace('Z', '+00:00');
        const later = await p.queue.handOver({ ...mail, sendAt: offset }, 'test');
        assert.equal((await p.queue.show(later.id)).scheduledAt, soon.toISOString());
        await p.queue.cancel(later.id);
        assert.equal((await p.queue.show(later.id)).status, 'cancelled', 'cancelled before its time');

        const past = await p.queue.handOver({ ...mail, sendAt: '2020-01-01T00:00:00Z' }, 'test');
        const claimed = await p.queue.lifecycle.claim('test', Date.now() + 1, 60_000, 10);
        assert.deepEqual(claimed.map((r) => r.id), [past.id], 'a time already past means at once');
      });

      it('a cancelled scheduled e-mail sent again keeps its time (alone and in a bulk retry); one whose time passed is due at once', async () => {
        const at = Date.now() + 3_600_000;
        const one = await p.queue.handOver({ ...mail, sendAt: new Date(at).toISOString() }, 'test');
        const two = await p.queue.handOver({ ...mail, sendAt: new Date(at + 60_000).toISOString() }, 'test');
        const due = await p.queue.handOver({ ...mail, sendAt: new Date(Date.now() + 1_000).toISOString() }, 'test');
        for (const e of [one, two, due]) await p.queue.cancel(e.id);
        await p.queue.retry(one.id);
        assert.equal((await p.queue.show(one.id)).nextAttemptAt, new Date(at).toISOString(), 'retried alone: still at its time, not now');
        await new Promise((r) => setTimeout(r, 1_100));
        assert.equal(await p.queue.retryMany({ status: 'cancelled' }, 'admin'), 2);
        assert.equal((await p.queue.show(two.id)).nextAttemptAt, new Date(at + 60_000).toISOString(), 'bulk retry: still at its time');
        const claimed = await p.queue.lifecycle.claim('test', Date.now() + 1, 60_000, 10);
        assert.deepEqual(claimed.map((r) => r.id), [due.id], 'only the one whose time has passed goes out now');
      });

      it('refuses a sendAt that is not an ISO time with a zone, or absurdly far ahead, naming the field', async () => {
        for (const sendAt of ['tomorrow', '2026-13-01T00:00:00Z', '2026-12-24T09:00:00', 1767000000]) {
          const errors = await refusedFields(p, { ...mail, sendAt });
          assert.equal(errors[0]?.field, 'sendAt', `${String(sendAt)}: ${JSON.stringify(errors)}`);
        }
        const far = await refusedFields(p, { ...mail, sendAt: new Date(Date.now() + 400 * 86_400_000).toISOString() });
        assert.deepEqual(far, [{ field: 'sendAt', message: 'is more than 366 days ahead' }]);
        assert.deepEqual(await p.queue.list(), [], 'nothing stored');
      });

      it('does not hold a scheduled e-mail at start-up (skipPendingAtStartup): it keeps its time', async () => {
        const scheduled = await p.queue.handOver({ ...mail, sendAt: new Date(Date.now() + 3_600_000).toISOString() }, 'test');
        const plain = await p.queue.handOver(mail, 'test');
        assert.equal(await p.queue.lifecycle.hold(Date.now() + 1, Date.now()), 1);
        assert.equal((await p.queue.show(plain.id)).status, 'held');
        assert.equal((await p.queue.show(scheduled.id)).status, 'pending');
      });
    });
  }

  it('takes sendAt over HTTP and shows scheduledAt', async () => {
    const db = await createTestDatabase('sqlite');
    const p = await openTestPostroom(db);
    const server = await startHttp(p);
    try {
      await p.settings.update({ postmaster: 'noreply@example.com' }, 'test');
      const { token } = await p.tokens.create('erp', 'test');
      const host = Client.withToken(server.url, token);
      const at = new Date(Date.now() + 7_200_000).toISOString();
      const r = await host.post<{ id: number; status: string }>('/api/v1/emails', { ...mail, sendAt: at });
      assert.equal(r.status, 202, r.text);
      const e = await host.get<{ scheduledAt: string; status: string }>(`/api/v1/emails/${r.body.id}`);
      assert.deepEqual([e.body.status, e.body.scheduledAt], ['pending', at]);
      const bad = await host.post<{ fields: { field: string }[] }>('/api/v1/emails', { ...mail, sendAt: 'next week' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.fields[0]?.field, 'sendAt');
    } finally {
      await server.close();
      await p.close();
      await db.cleanup();
    }
  });
});
