// Proves the e-mail queue keeps DESIGN §2–3 on each real backend: hand-over checks, Message-ID and
// idempotency, shared attachment bytes, leased claims, purge, retry expiry, search and admin actions.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import type { EmailStatus } from '../../src/db/index.js';
import { EmailInputError, EmailNotFoundError, EmailStateError, type AttemptRecord } from '../../src/queue/index.js';
import { BACKENDS, SKIP_POSTGRES, createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';

const DAY = 86_400_000;
const mail = (over: Record<string, unknown> = {}) => ({ to: ['alice@example.org'], subject: 'Order shipped', text: 'On its way.', ...over });

type Table = 'emails' | 'blobs' | 'email_attachments' | 'attempts';
async function rows(p: Postroom, table: Table): Promise<number> {
  const r = await p.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The sending process's claim, in its own write transaction as the dispatcher runs it. */
function claim(p: Postroom, owner: string, opts: { now?: number; leaseMs?: number; limit?: number } = {}) {
  return p.queue.lifecycle.claim(owner, opts.now ?? Date.now(), opts.leaseMs ?? 60_000, opts.limit ?? 100);
}

const attempt = (outcome: AttemptRecord['outcome'], at = Date.now()): AttemptRecord => ({
  startedAt: at,
  finishedAt: at,
  route: 'smtp',
  outcome,
  replyCode: outcome === 'sent' ? 250 : outcome === 'permanent' ? 550 : 451,
  reply: outcome === 'sent' ? '250 2.0.0 OK queued' : outcome === 'permanent' ? '550 5.1.1 no such user' : '451 4.7.0 try again later',
});


/**
 * Takes one e-mail to a status the way Postroom does (claim + an outcome verb, cancel; held by the
 * conditional update the administrator actions use), giving back whatever else the claim picked up.
 */
async function drive(
  p: Postroom,
  id: number,
  target: 'sending' | 'sent' | 'failed' | 'error' | 'held' | 'cancelled',
  opts: { at?: number; retryAt?: number; firstFailureAt?: number } = {},
): Promise<void> {
  if (target === 'held') {
    const r = await p.store.db.updateTable('emails').set({ status: 'held', due_at: null }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
    assert.equal(Number(r.numUpdatedRows), 1, `e-mail ${id} was not pending`);
    return;
  }
  if (target === 'cancelled') return p.queue.cancel(id);
  const owner = `setup-${id}`;
  const claimed = await claim(p, owner);
  assert.ok(claimed.some((r) => r.id === id), `e-mail ${id} was not due`);
  await p.queue.lifecycle.release(claimed.filter((r) => r.id !== id).map((r) => r.id), owner, Date.now());
  if (target === 'sending') return;
  const at = opts.at ?? Date.now();
  const lease = { id, owner };
  const done =
    target === 'sent'
      ? p.queue.lifecycle.markSent(lease, { attempt: attempt('sent', at) })
      : target === 'failed'
        ? p.queue.lifecycle.fail(lease, { attempt: attempt('permanent', at) })
        : p.queue.lifecycle.defer(lease, { attempt: attempt('transient', at) }, { retryAt: opts.retryAt ?? at, firstFailureAt: opts.firstFailureAt ?? at });
  assert.ok(await done, `e-mail ${id} lost its lease`);
}

/** Makes an e-mail look `days` old, as if it had been handed over (and finished) that long ago. */
async function age(p: Postroom, id: number, days: number, finished: boolean): Promise<void> {
  const t = Date.now() - days * DAY;
  await p.store.db
    .updateTable('emails')
    .set({ created_at: t, updated_at: t, ...(finished ? { finished_at: t } : {}) })
    .where('id', '=', id)
    .execute();
}

async function statusOf(p: Postroom, id: number): Promise<EmailStatus> {
  return (await p.queue.show(id)).status;
}

// Claims in batches of two until nothing is due, once the parent says go; prints what it got.
const CHILD_CLAIMER = `
import { openStore } from ${JSON.stringify(new URL('../../src/db/index.ts', import.meta.url).href)};
import { EmailLifecycle } from ${JSON.stringify(new URL('../../src/queue/lifecycle.ts', import.meta.url).href)};
const store = await openStore({ dataDir: process.env.CLAIM_DIR });
const lifecycle = new EmailLifecycle(store);
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const ids = [];
for (;;) {
  const rows = await lifecycle.claim('child', Date.now(), 60000, 2);
  if (rows.length === 0) break;
  ids.push(...rows.map((r) => r.id));
  await new Promise((resolve) => setTimeout(resolve, 2));
}
process.stdout.write(JSON.stringify(ids));
await store.close();
`;

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The backends share nothing, so their suites run side by side to keep the file quick.
describe('e-mail queue', { concurrency: BACKENDS.length }, () => {
  for (const backend of BACKENDS) {
    describe(`e-mail queue (${backend})`, { concurrency: 1, skip: backend === 'postgres' && SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, () => {
      let db: TestDatabase;
      let p: Postroom;
      const extra: Postroom[] = [];

      beforeEach(async () => {
        db = await createTestDatabase(backend);
        p = await openTestPostroom(db);
        await p.settings.update({ postmaster: 'postmaster@corp.example' }, 'test');
      });

      afterEach(async () => {
        while (extra.length) await extra.pop()?.close();
        await p.close();
        await db.cleanup();
      });

      describe('hand-over', () => {
        it('refuses bad input naming the field, and stores nothing (not even the attachment)', async () => {
          const file = { filename: 'invoice.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.7 invoice').toString('base64') };
          const cases: [Record<string, unknown>, string, RegExp][] = [
            [mail({ to: ['not an address'], attachments: [file] }), 'to.0', /not a valid e-mail address/],
            [mail({ to: [{ email: 'bob@', name: 'Bob' }] }), 'to.0.email', /not a valid e-mail address/],
            [mail({ cc: ['carol at example.org'] }), 'cc.0', /not a valid e-mail address/],
            [mail({ subject: 'Invoice\r\nBcc: everyone@example.org' }), 'subject', /line break/],
            [mail({ to: [] }), 'to', /at least one recipient/],
            [mail({ headers: { Bcc: 'x@example.org' } }), 'headers.Bcc', /set by Postroom/],
            [mail({ attachments: [{ ...file, filename: '../etc/passwd' }] }), 'attachments.0.filename', /path separator/],
          ];
          for (const [input, field, reason] of cases) {
            await assert.rejects(p.queue.handOver(input, 'test'), (err: unknown) => {
              assert.ok(err instanceof EmailInputError, `expected EmailInputError, got ${String(err)}`);
              const named = err.errors.find((e) => e.field === field);
              assert.ok(named, `${JSON.stringify(err.errors)} names ${field}`);
              assert.match(named.message, reason);
              return true;
            });
          }
          assert.equal(await rows(p, 'emails'), 0);
          assert.equal(await rows(p, 'blobs'), 0);
          assert.equal(await rows(p, 'email_attachments'), 0);
        });

        it('refuses an e-mail with no sender when no postmaster is set', async () => {
          await p.settings.update({ postmaster: '' }, 'test');
          await assert.rejects(p.queue.handOver(mail(), 'test'), (err: unknown) => {
            assert.ok(err instanceof EmailInputError, `expected EmailInputError, got ${String(err)}`);
            assert.equal(err.errors[0]?.field, 'sender');
            return true;
          });
          assert.equal(await rows(p, 'emails'), 0);
          const named = await p.queue.handOver(mail({ sender: { email: 'bob@corp.example', name: 'Bob' } }), 'test');
          assert.equal(named.status, 'pending', 'naming a user is enough');
        });

        it('sets a Message-ID once, at hand-over, and keeps it through claims, failures and retries', async () => {
          const a = await p.queue.handOver(mail(), 'test');
          const b = await p.queue.handOver(mail({ sender: { email: 'bob@sales.example' } }), 'test');
          assert.match(a.messageId, /^<[0-9a-z]{9}\.[0-9a-f]{20}@corp\.example>$/);
          assert.match(b.messageId, /^<[0-9a-z]{9}\.[0-9a-f]{20}@sales\.example>$/);
          assert.notEqual(a.messageId, b.messageId);
          assert.equal((await p.queue.show(a.id)).messageId, a.messageId);

          await drive(p, a.id, 'error');
          await drive(p, a.id, 'failed');
          await p.queue.retry(a.id);
          const again = (await claim(p, 'w1')).find((r) => r.id === a.id);
          assert.equal(again?.message_id, a.messageId, 'a resend carries the same Message-ID so duplicates can be recognised');
        });
      });

      describe('idempotency key', () => {
        it('gives the first e-mail back for the same key, without making a second', async () => {
          const first = await p.queue.handOver(mail({ idempotencyKey: 'order-42-shipped' }), 'test');
          const second = await p.queue.handOver(mail({ idempotencyKey: 'order-42-shipped', subject: 'changed my mind' }), 'test');
          assert.equal(first.duplicate, false);
          assert.deepEqual(second, { ...first, duplicate: true });
          assert.equal((await p.queue.show(first.id)).subject, 'Order shipped', 'the stored e-mail is not overwritten');
          const other = await p.queue.handOver(mail({ idempotencyKey: 'order-43-shipped' }), 'test');
          assert.notEqual(other.id, first.id);
          assert.equal(await rows(p, 'emails'), 2);
        });

        it('makes exactly one e-mail when the same key is handed over concurrently', async () => {
          if (backend === 'postgres') {
            // Open the pool's connections first, so the hand-overs really run side by side.
            await Promise.all(Array.from({ length: 10 }, () => sql`select pg_sleep(0.05)`.execute(p.store.db)));
          }
          const results = await Promise.all(
            Array.from({ length: 8 }, (_, i) => p.queue.handOver(mail({ idempotencyKey: 'invoice-2024-001', subject: `try ${i}` }), 'test')),
          );
          assert.equal(new Set(results.map((r) => r.id)).size, 1, 'every caller gets the same e-mail');
          assert.equal(new Set(results.map((r) => r.messageId)).size, 1);
          assert.equal(results.filter((r) => !r.duplicate).length, 1, 'exactly one hand-over made it');
          assert.equal(await rows(p, 'emails'), 1);
        });
      });

      describe('attachments', () => {
        it('stores the same bytes once, and deletes them only when no e-mail needs them', async () => {
          const bytes = crypto.randomBytes(4096);
          const sha = crypto.createHash('sha256').update(bytes).digest('hex');
          const contentBase64 = bytes.toString('base64');
          const a = await p.queue.handOver(mail({ attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', contentBase64 }] }), 'test');
          const b = await p.queue.handOver(mail({ to: ['bob@example.org'], attachments: [{ filename: 'copy.pdf', contentBase64 }] }), 'test');

          assert.equal(await rows(p, 'blobs'), 1, 'one blob for both e-mails');
          const blob = await p.store.db.selectFrom('blobs').select(['sha256', 'size']).executeTakeFirstOrThrow();
          assert.deepEqual(blob, { sha256: sha, size: 4096 });
          assert.deepEqual((await p.queue.show(b.id)).attachments, [{ filename: 'copy.pdf', contentType: 'application/octet-stream', contentId: null, size: 4096 }]);

          await drive(p, a.id, 'sent');
          await age(p, a.id, 40, true);
          assert.equal(await p.queue.purge(), 1);
          await assert.rejects(p.queue.show(a.id), EmailNotFoundError);
          const [kept] = await p.queue.repo.attachments(b.id);
          assert.ok(kept && Buffer.from(kept.content).equals(bytes), 'the other e-mail still has its attachment');

          await drive(p, b.id, 'sent');
          await age(p, b.id, 40, true);
          assert.equal(await p.queue.purge(), 1);
          assert.equal(await rows(p, 'blobs'), 0, 'bytes no e-mail refers to are deleted');
          assert.equal(await rows(p, 'email_attachments'), 0);
        });
      });

      describe('claim and lease', () => {
        it('claims only due e-mails, marking them sending under a lease', async () => {
          const now = Date.now();
          const due = await p.queue.handOver(mail({ subject: 'due' }), 'test');
          const later = await p.queue.handOver(mail({ subject: 'backing off' }), 'test');
          await drive(p, later.id, 'error', { retryAt: now + 10 * 60_000 });
          const held = await p.queue.handOver(mail({ subject: 'held' }), 'test');
          await drive(p, held.id, 'held');
          const cancelled = await p.queue.handOver(mail({ subject: 'cancelled' }), 'test');
          await drive(p, cancelled.id, 'cancelled');
          const sent = await p.queue.handOver(mail({ subject: 'sent' }), 'test');
          await drive(p, sent.id, 'sent');

          const claimed = await claim(p, 'w1', { now: Date.now(), leaseMs: 3_600_000 });
          assert.deepEqual(claimed.map((r) => r.id), [due.id]);
          const row = await p.queue.repo.get(due.id);
          assert.equal(row?.status, 'sending');
          assert.equal(row?.lease_owner, 'w1');
          assert.ok(row?.due_at && row.due_at >= now + 3_600_000, 'the lease runs until now + leaseMs');
          assert.deepEqual(await claim(p, 'w2'), [], 'a leased e-mail is not claimed twice');

          const retried = await claim(p, 'w2', { now: now + 10 * 60_000 + 1 });
          assert.deepEqual(retried.map((r) => r.id), [later.id], 'an e-mail in error is claimed once its retry time has come');
          for (const id of [held.id, cancelled.id, sent.id]) assert.notEqual(await statusOf(p, id), 'sending');
        });

        it('gives two concurrent claims disjoint sets of e-mails', async () => {
          if (backend === 'postgres') {
            const ids: number[] = [];
            for (let i = 0; i < 6; i++) ids.push((await p.queue.handOver(mail({ subject: `m${i}` }), 'test')).id);
            // A second Postroom on the same schema: its own pool of connections, like another instance.
            const p2 = await openTestPostroom(db);
            extra.push(p2);
            const now = Date.now();
            // The first claim's transaction stays open while the second claims: SKIP LOCKED must let
            // the second through at once with the rest, not make it wait for the first to commit.
            const [mine, theirs] = await p.store.db.transaction().execute(async (trx) => {
              const first = await p.queue.lifecycle.claimWithin(trx, 'w1', now, 60_000, 3);
              const second = await within(5000, 'the concurrent claim', claim(p2, 'w2', { now, limit: 6 }));
              return [first.map((r) => r.id), second.map((r) => r.id)];
            });
            assert.equal(mine.length, 3);
            assert.equal(theirs.length, 3);
            assert.deepEqual(mine.filter((id) => theirs.includes(id)), [], 'no e-mail claimed by both');
            assert.deepEqual([...mine, ...theirs].sort((x, y) => x - y), ids);
            for (const id of mine) assert.equal((await p.queue.repo.get(id))?.lease_owner, 'w1');
            for (const id of theirs) assert.equal((await p.queue.repo.get(id))?.lease_owner, 'w2');
            return;
          }
          // SQLite: better-sqlite3 blocks its thread while it waits for the write lock, so the other
          // claimer must be another process, as the CLI beside `serve` is.
          const ids: number[] = [];
          for (let i = 0; i < 120; i++) ids.push((await p.queue.handOver(mail({ subject: `m${i}` }), 'test')).id);
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD_CLAIMER], {
            cwd: process.cwd(),
            env: { ...process.env, CLAIM_DIR: db.dataDir },
            stdio: ['pipe', 'pipe', 'inherit'],
          });
          try {
            let out = '';
            const ready = new Promise<void>((resolve) =>
              child.stdout.on('data', (chunk: Buffer) => {
                out += chunk.toString();
                if (out.startsWith('ready\n')) resolve();
              }),
            );
            const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
            await within(60_000, 'the claiming child process start', ready);
            child.stdin.end('go\n');
            const mine: number[] = [];
            for (let round = 0; ; round++) {
              const batch = await claim(p, 'parent', { limit: 2 });
              if (batch.length === 0) break;
              mine.push(...batch.map((r) => r.id));
              if (round === 0) {
                // Both must be claiming at the same time, however slowly the child started.
                const childClaimed = async () =>
                  Number((await p.store.db.selectFrom('emails').select((eb) => eb.fn.countAll<number>().as('n')).where('lease_owner', '=', 'child').executeTakeFirstOrThrow()).n) > 0;
                const deadline = Date.now() + 30_000;
                while (!(await childClaimed())) {
                  assert.ok(Date.now() < deadline, 'the child process never claimed anything');
                  await new Promise((resolve) => setTimeout(resolve, 5));
                }
              }
              // Like a campaign sending what it claimed: the other process gets its turn meanwhile.
              await new Promise((resolve) => setTimeout(resolve, 2));
            }
            assert.equal(await within(30_000, 'the claiming child process', exited), 0);
            const theirs = JSON.parse(out.slice('ready\n'.length)) as number[];
            assert.ok(mine.length > 0 && theirs.length > 0, `both processes claimed (parent ${mine.length}, child ${theirs.length})`);
            assert.deepEqual(mine.filter((id) => theirs.includes(id)), [], 'no e-mail claimed by both');
            assert.deepEqual([...mine, ...theirs].sort((x, y) => x - y), ids);
          } finally {
            // A failed run must not leave the child behind, holding this process open.
            if (child.exitCode === null) child.kill('SIGKILL');
          }
        });

        it('makes an e-mail claimable again once its lease expires, and only the new owner may finish it', async () => {
          const { id } = await p.queue.handOver(mail(), 'test');
          const now = Date.now();
          assert.equal((await claim(p, 'dead', { now, leaseMs: 1000 })).length, 1);
          assert.deepEqual(await claim(p, 'w2', { now: now + 999 }), [], 'not while the lease runs');
          const [taken] = await claim(p, 'w2', { now: now + 1001 });
          assert.equal(taken?.id, id);
          assert.equal(taken?.lease_owner, 'w2');
          assert.equal(taken?.claim_count, 2);

          assert.equal(await p.queue.lifecycle.markSent({ id, owner: 'dead' }, { attempt: attempt('sent') }), false);
          assert.equal(await statusOf(p, id), 'sending', 'the process that lost its lease changes nothing');
          assert.equal(await rows(p, 'attempts'), 0);
        });

        it('lets only the lease owner finish an attempt', async () => {
          const { id } = await p.queue.handOver(mail(), 'test');
          const done = { attempt: attempt('sent') };
          assert.equal(await p.queue.lifecycle.markSent({ id, owner: 'w1' }, done), false, 'an unclaimed e-mail cannot be finished');
          await claim(p, 'w1');
          assert.equal(await p.queue.lifecycle.markSent({ id, owner: 'w2' }, done), false);
          assert.equal(await statusOf(p, id), 'sending');
          assert.equal(await rows(p, 'attempts'), 0);

          assert.equal(await p.queue.lifecycle.markSent({ id, owner: 'w1' }, done), true);
          const detail = await p.queue.show(id);
          assert.equal(detail.status, 'sent');
          assert.deepEqual(
            detail.attemptLog.map((a) => [a.outcome, a.replyCode, a.instance]),
            [['sent', 250, 'w1']],
          );
          assert.equal(await p.queue.lifecycle.markSent({ id, owner: 'w1' }, done), false, 'a finished e-mail is not finished twice');
          assert.equal((await p.queue.show(id)).attempts, 1);
        });

        it('records outcomes that arrive together each with its own columns, and none whose lease was lost', async () => {
          const ids = [];
          for (const subject of ['sent', 'partly', 'deferred', 'failed', 'lost']) ids.push((await p.queue.handOver(mail({ subject }), 'test')).id);
          const [sent, partly, deferred, failed, lost] = ids as [number, number, number, number, number];
          await claim(p, 'w1');
          const at = Date.now();
          const firstFailure = at - 5_000;
          const recipients = [
            { recipient: 'a@example.org', state: 'accepted' as const, code: 250, reply: '250 ok' },
            { recipient: 'b@example.org', state: 'refused' as const, code: 550, reply: '550 no such user' },
          ];
          // Submitted in one turn of the event loop: written as one group (one statement on PostgreSQL).
          const done = await Promise.all([
            p.queue.lifecycle.markSent({ id: sent, owner: 'w1' }, { attempt: attempt('sent', at) }),
            p.queue.lifecycle.markSent({ id: partly, owner: 'w1' }, { attempt: attempt('sent', at), recipients }),
            p.queue.lifecycle.defer({ id: deferred, owner: 'w1' }, { attempt: attempt('transient', at) }, { retryAt: at + 60_000, firstFailureAt: firstFailure }),
            p.queue.lifecycle.fail({ id: failed, owner: 'w1' }, { attempt: attempt('permanent', at) }),
            p.queue.lifecycle.markSent({ id: lost, owner: 'w2' }, { attempt: attempt('sent', at) }),
          ]);
          assert.deepEqual(done, [true, true, true, true, false], 'each caller learns its own outcome');
          const row = async (id: number) => {
            const r = await p.queue.repo.get(id);
            return [r?.status, r?.due_at, r?.finished_at, r?.first_failure_at, r?.attempt_count, r?.last_reply_code, r?.lease_owner];
          };
          assert.deepEqual(await row(sent), ['sent', null, at, null, 1, 250, null], 'sent');
          assert.deepEqual(await row(deferred), ['error', at + 60_000, null, firstFailure, 1, 451, null], 'deferred, its retry window kept');
          assert.deepEqual(await row(failed), ['failed', null, at, null, 1, 550, null], 'failed');
          assert.deepEqual(await row(lost), ['sending', (await p.queue.repo.get(lost))?.due_at, null, null, 0, null, 'w1'], 'another owner changed nothing');
          const partial = await p.queue.repo.get(partly);
          assert.deepEqual(JSON.parse(partial?.recipients ?? 'null'), recipients, 'per-recipient states stored');
          assert.deepEqual(JSON.parse(partial?.rejected_recipients ?? 'null'), [{ recipient: 'b@example.org', code: 550, reply: '550 no such user' }]);
          assert.equal((await p.queue.repo.get(sent))?.recipients, null, 'an outcome without recipients leaves them alone');
          assert.equal(await rows(p, 'attempts'), 4, 'one attempt per recorded outcome, none for the lost lease');
        });

        it('release gives claimed e-mails back untouched', async () => {
          const fresh = await p.queue.handOver(mail({ subject: 'fresh' }), 'test');
          const failing = await p.queue.handOver(mail({ subject: 'failing' }), 'test');
          const firstFailure = Date.now() - 60_000;
          await drive(p, failing.id, 'error', { firstFailureAt: firstFailure, retryAt: Date.now() - 1 });
          const before = await p.queue.repo.get(failing.id);

          const claimed = await claim(p, 'w1');
          assert.equal(claimed.length, 2);
          await p.queue.lifecycle.release([fresh.id, failing.id], 'w2', Date.now());
          assert.equal(await statusOf(p, fresh.id), 'sending', 'another process cannot release them');

          await p.queue.lifecycle.release([fresh.id, failing.id], 'w1', Date.now());
          const a = await p.queue.repo.get(fresh.id);
          const b = await p.queue.repo.get(failing.id);
          assert.deepEqual([a?.status, a?.lease_owner, a?.claim_count, a?.attempt_count], ['pending', null, 0, 0]);
          assert.deepEqual(
            [b?.status, b?.lease_owner, b?.claim_count, b?.attempt_count, b?.first_failure_at],
            ['error', null, before?.claim_count, before?.attempt_count, firstFailure],
            'an e-mail in error goes back to error, its retry window unchanged',
          );
          assert.equal(await rows(p, 'attempts'), 1, 'releasing records no attempt');
          assert.equal((await claim(p, 'w3')).length, 2, 'both are due again at once');
        });
      });

      describe('purge and retry window', () => {
        it('deletes only finished e-mails older than the retention, never a waiting one', async () => {
          const make = async (status: 'pending' | 'sending' | 'sent' | 'failed' | 'error' | 'held' | 'cancelled', days: number) => {
            const { id } = await p.queue.handOver(mail({ subject: `${status} ${days}d` }), 'test');
            if (status !== 'pending') await drive(p, id, status, { retryAt: Date.now() + DAY });
            // Even a stale finished_at on a waiting e-mail must not get it deleted: the status decides.
            await age(p, id, days, true);
            return id;
          };
          const oldSent = await make('sent', 40);
          const oldFailed = await make('failed', 40);
          const oldCancelled = await make('cancelled', 40);
          const recentSent = await make('sent', 10);
          const waiting = [await make('error', 40), await make('held', 40), await make('sending', 40), await make('pending', 40)];

          assert.equal(await p.queue.purge(), 3, 'the default retention of 30 days applies');
          for (const id of [oldSent, oldFailed, oldCancelled]) await assert.rejects(p.queue.show(id), EmailNotFoundError);
          assert.deepEqual(
            await Promise.all(waiting.map((id) => statusOf(p, id))),
            ['error', 'held', 'sending', 'pending'],
          );
          assert.equal(await statusOf(p, recentSent), 'sent');
          const orphans = await p.store.db.selectFrom('attempts').select('email_id').where('email_id', 'in', [oldSent, oldFailed]).execute();
          assert.deepEqual(orphans, [], 'their attempts go with them');

          await p.settings.update({ retentionDays: 7 }, 'test');
          assert.equal(await p.queue.purge(), 1, 'a shorter retention from the settings applies at the next purge');
          await assert.rejects(p.queue.show(recentSent), EmailNotFoundError);
          assert.equal(await rows(p, 'emails'), 4);
        });

        it('moves e-mails in error past the retry window to failed, saying why', async () => {
          const now = Date.now();
          const stale = await p.queue.handOver(mail({ subject: 'stale' }), 'test');
          await drive(p, stale.id, 'error', { firstFailureAt: now - 2 * 3_600_000, retryAt: now + 60_000 });
          const recent = await p.queue.handOver(mail({ subject: 'recent' }), 'test');
          await drive(p, recent.id, 'error', { firstFailureAt: now - 10 * 60_000, retryAt: now + 60_000 });
          const pending = await p.queue.handOver(mail({ subject: 'pending' }), 'test');
          await age(p, pending.id, 3, false);

          assert.equal(await p.queue.lifecycle.expire(3600 * 1000, now), 1);
          const failed = await p.queue.show(stale.id);
          assert.equal(failed.status, 'failed');
          assert.match(failed.lastReply ?? '', /^retry window expired/);
          assert.match(failed.lastReply ?? '', /451 4\.7\.0 try again later/, 'the last reply is kept after the reason');
          assert.ok(failed.finishedAt !== null, 'a failed e-mail is finished, so the purge will take it in time');
          assert.equal(failed.nextAttemptAt, null);
          assert.deepEqual(await claim(p, 'w1', { now: now + 120_000 }).then((r) => r.map((x) => x.id).sort()), [recent.id, pending.id].sort());
          assert.equal(await statusOf(p, recent.id), 'sending');

          // The window is read at each campaign: shortening it expires what it no longer covers.
          await p.queue.lifecycle.release([recent.id, pending.id], 'w1', now);
          assert.equal(await p.queue.lifecycle.expire(5 * 60 * 1000, now), 1);
          assert.equal(await statusOf(p, recent.id), 'failed');
          assert.equal(await statusOf(p, pending.id), 'pending', 'an e-mail that never failed has no retry window');
        });
      });

      describe('list', () => {
        it('filters by status', async () => {
          const a = await p.queue.handOver(mail({ subject: 'a' }), 'test');
          const b = await p.queue.handOver(mail({ subject: 'b' }), 'test');
          const c = await p.queue.handOver(mail({ subject: 'c' }), 'test');
          await p.queue.cancel(b.id);
          assert.deepEqual((await p.queue.list({ status: 'cancelled' })).map((e) => e.id), [b.id]);
          assert.deepEqual((await p.queue.list({ status: 'pending' })).map((e) => e.id), [c.id, a.id], 'newest first');
          assert.deepEqual(await p.queue.list({ status: 'sent' }), []);
        });

        it('searches subject and recipients case-insensitively, taking % and _ literally', async () => {
          const subjects: Record<string, number> = {};
          const add = async (subject: string, over: Record<string, unknown> = {}) => {
            subjects[subject] = (await p.queue.handOver(mail({ subject, ...over }), 'test')).id;
          };
          await add('Invoice 2024-17');
          await add('50% off everything');
          await add('5000 loyalty points');
          await add('q3_report ready');
          await add('q3-report draft');
          await add('Please verify your email address');
          await add('Été 2025 : soldes');
          await add('Team lunch', { to: [{ email: 'carol.payne@example.net', name: 'Carol Payne' }], bcc: ['audit@corp.example'] });
          await add('Backup done', { cc: ['dave@ops.example'] });
          const search = async (q: string) => (await p.queue.list({ text: q })).map((e) => e.subject).sort();

          assert.deepEqual(await search('INVOICE'), ['Invoice 2024-17']);
          assert.deepEqual(await search('50%'), ['50% off everything'], '% is a character, not a wildcard');
          assert.deepEqual(await search('q3_r'), ['q3_report ready'], '_ is a character, not a wildcard');
          assert.deepEqual(await search('payne'), ['Team lunch'], 'finds a recipient by address or name');
          assert.deepEqual(await search('dave@ops'), ['Backup done'], 'cc counts');
          assert.deepEqual(await search('audit@corp'), ['Team lunch'], 'bcc counts');
          // The recipients are stored as JSON: its field names are not something the user wrote.
          assert.deepEqual(await search('email'), ['Please verify your email address']);
          assert.deepEqual(await search('nobody'), []);
          assert.deepEqual(await search('été'), ['Été 2025 : soldes'], 'case folding is not only for ASCII');
          assert.deepEqual(await search('ÉTÉ 2025'), ['Été 2025 : soldes']);
        });

        it('pages with a cursor, without overlap or gaps, even as new e-mails arrive', async () => {
          const all: number[] = [];
          for (let i = 0; i < 11; i++) all.unshift((await p.queue.handOver(mail({ subject: `page test ${i}` }), 'test')).id);
          const seen: number[] = [];
          let cursor: number | undefined;
          for (let page = 0; page < 10; page++) {
            const batch = await p.queue.list({ limit: 4, beforeId: cursor });
            if (batch.length === 0) break;
            assert.ok(batch.length <= 4, 'a page holds at most the limit');
            seen.push(...batch.map((e) => e.id));
            cursor = batch.at(-1)?.id;
            if (page === 0) await p.queue.handOver(mail({ subject: 'arrived while paging' }), 'test');
          }
          assert.deepEqual(seen, all);
        });
      });

      describe('administrator actions', () => {
        it('cancel stops a waiting e-mail and refuses one that is sent or being sent', async () => {
          const ids: Record<string, number> = {};
          for (const status of ['pending', 'error', 'held', 'sent', 'sending'] as const) {
            ids[status] = (await p.queue.handOver(mail({ subject: status }), 'test')).id;
          }
          await drive(p, ids.error as number, 'error', { retryAt: Date.now() + DAY });
          await drive(p, ids.held as number, 'held');
          await drive(p, ids.sent as number, 'sent');
          await drive(p, ids.sending as number, 'sending');

          for (const status of ['pending', 'error', 'held'] as const) {
            const id = ids[status] as number;
            await p.queue.cancel(id);
            const detail = await p.queue.show(id);
            assert.equal(detail.status, 'cancelled', `a ${status} e-mail can be cancelled`);
            assert.ok(detail.finishedAt !== null, 'a cancelled e-mail is finished');
            assert.equal(detail.nextAttemptAt, null);
          }
          for (const status of ['sent', 'sending', 'pending'] as const) {
            const id = ids[status] as number;
            const was = await statusOf(p, id);
            await assert.rejects(p.queue.cancel(id), (err: unknown) => {
              assert.ok(err instanceof EmailStateError, `expected EmailStateError, got ${String(err)}`);
              assert.match(err.message, new RegExp(`e-mail ${id} is ${was}: only pending, error, held e-mails can be cancelled`));
              return true;
            });
            assert.equal(await statusOf(p, id), was, 'a refused cancel changes nothing');
          }
          assert.deepEqual(await claim(p, 'w1'), [], 'nothing cancelled is sent');
          await assert.rejects(p.queue.cancel(999_999), EmailNotFoundError);
        });

        it('retry sends a failed, error or cancelled e-mail again with a fresh window; refuses the rest', async () => {
          const failed = (await p.queue.handOver(mail({ subject: 'failed' }), 'test')).id;
          await drive(p, failed, 'failed');
          const error = (await p.queue.handOver(mail({ subject: 'error' }), 'test')).id;
          await drive(p, error, 'error', { firstFailureAt: Date.now() - 3_600_000, retryAt: Date.now() + DAY });
          const cancelled = (await p.queue.handOver(mail({ subject: 'cancelled' }), 'test')).id;
          await drive(p, cancelled, 'cancelled');
          const sent = (await p.queue.handOver(mail({ subject: 'sent' }), 'test')).id;
          await drive(p, sent, 'sent');
          const pending = (await p.queue.handOver(mail({ subject: 'pending' }), 'test')).id;

          for (const id of [failed, error, cancelled]) {
            await p.queue.retry(id);
            const detail = await p.queue.show(id);
            assert.deepEqual([detail.status, detail.firstFailureAt, detail.finishedAt], ['pending', null, null]);
          }
          assert.equal((await p.queue.show(failed)).attemptLog.length, 1, 'the attempt history is kept');
          for (const id of [sent, pending]) {
            const was = await statusOf(p, id);
            await assert.rejects(p.queue.retry(id), new RegExp(`is ${was}: only failed, error, cancelled, bounced e-mails can be retried`));
            assert.equal(await statusOf(p, id), was);
          }
          const due = (await claim(p, 'w1')).map((r) => r.id).sort((x, y) => x - y);
          assert.deepEqual(due, [failed, error, cancelled, pending].sort((x, y) => x - y), 'retried e-mails are due at once');
          await assert.rejects(p.queue.retry(sent + 1000), EmailNotFoundError);
        });

        it('release-held makes held e-mails pending and leaves the others alone', async () => {
          const held1 = (await p.queue.handOver(mail({ subject: 'h1' }), 'test')).id;
          const held2 = (await p.queue.handOver(mail({ subject: 'h2' }), 'test')).id;
          const cancelled = (await p.queue.handOver(mail({ subject: 'c' }), 'test')).id;
          assert.equal(await p.queue.lifecycle.hold(Date.now() + 1, Date.now()), 3);
          await p.queue.cancel(cancelled);
          assert.deepEqual(await claim(p, 'w1'), [], 'held e-mails are not sent');

          assert.equal(await p.queue.releaseHeld(), 2);
          assert.deepEqual(await Promise.all([held1, held2, cancelled].map((id) => statusOf(p, id))), ['pending', 'pending', 'cancelled']);
          assert.deepEqual((await claim(p, 'w1')).map((r) => r.id).sort((x, y) => x - y), [held1, held2]);
          assert.equal(await p.queue.releaseHeld(), 0);
        });
      });
    });
  }
});
