// A claim reads the due e-mails in due_at order from their index and stops at its limit, however
// large the backlog: sorting every pending e-mail made each claim block the process for 75 ms at
// 100,000 pending (and more as the backlog grew) before SQLite was told which index to read.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';

describe('claim query plan (SQLite)', () => {
  let db: TestDatabase;
  let p: Postroom;
  before(async () => {
    db = await createTestDatabase('sqlite');
    p = await openTestPostroom(db);
    await p.settings.update({ postmaster: 'postmaster@corp.example' }, 'test');
    // Enough rows that SQLite weighs its indexes; statuses mixed as in a real outbox.
    for (let i = 0; i < 200; i++) await p.queue.handOver({ to: [`c${i}@example.org`], subject: `s${i}`, text: 'x' }, 'test');
  });
  after(async () => {
    await p.close();
    await db.cleanup();
  });

  it('reads the due_at index in order, with no sort of the whole backlog', async () => {
    const query = p.queue.lifecycle.dueForClaim(p.store.db, Date.now(), 100).compile();
    const plan = await p.store.sqlite?.transaction((prepare) =>
      (prepare(`explain query plan ${query.sql}`).all(...(query.parameters as unknown[])) as { detail: string }[]).map((r) => r.detail),
    );
    assert.ok(plan, 'a SQLite store explains its plan');
    assert.ok(plan.some((d) => /USING INDEX emails_due\b/.test(d)), `the due_at index is read: ${plan.join(' | ')}`);
    assert.ok(!plan.some((d) => /TEMP B-TREE/.test(d)), `nothing is sorted: ${plan.join(' | ')}`);
  });

  it('still claims only due, claimable e-mails, oldest due first', async () => {
    const rows = await p.queue.lifecycle.claim('w1', Date.now(), 30_000, 5);
    assert.equal(rows.length, 5, 'five claimed');
    const subjects = rows.map((r) => r.subject);
    assert.deepEqual(subjects, ['s0', 's1', 's2', 's3', 's4'], 'the oldest due first');
  });
});
