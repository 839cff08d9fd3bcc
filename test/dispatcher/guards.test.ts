// Promises that each rest on one guard in the code, each with a test that fails when the guard is
// gone: a lease renewed only by its owner, a buffered e-mail whose lease lapsed never sent, a password
// the server refuses after the route was checked stopping the route, the purge keeping to retention.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { SKIP_POSTGRES, TEST_DATABASE_URL, createTestDatabase, openTestPostroom, sinkSettings } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SinkOptions } from '../helpers/smtp-sink.js';
import { startProxy } from '../helpers/tcp-proxy.js';
import { until } from '../helpers/waiting.js';

const route = { ca: testPki().caPem };

describe('guards', () => {
  it('a lease is renewed only by its owner: an instance that lost an e-mail cannot take it back', async () => {
    const db = await createTestDatabase('sqlite');
    const p = await openTestPostroom(db);
    try {
      await p.settings.update({ postmaster: 'postmaster@example.com' }, 'test');
      const { id } = await p.queue.handOver({ to: ['a@example.org'], subject: 'Lease', text: 'x' }, 'test');
      const t0 = Date.now();
      assert.deepEqual((await p.queue.lifecycle.claim('instance-a', t0, 1_000, 10)).map((r) => r.id), [id]);
      // A's lease lapses; B claims the e-mail.
      assert.deepEqual((await p.queue.lifecycle.claim('instance-b', t0 + 2_000, 30_000, 10)).map((r) => r.id), [id], 'a lapsed lease is claimed by another');
      const renewed = await p.queue.lifecycle.renew([id], 'instance-a', t0 + 60_000);
      assert.deepEqual(renewed, [], "A's renewal is refused: the e-mail is B's now");
      const row = await p.queue.repo.get(id);
      assert.deepEqual([row?.lease_owner, row?.due_at], ['instance-b', t0 + 2_000 + 30_000], "B's lease is untouched");
      assert.equal(await p.queue.lifecycle.markSent({ id, owner: 'instance-a' }, { attempt: { startedAt: t0, finishedAt: t0, route: 'smtp', outcome: 'sent', replyCode: 250, reply: '250 ok' } }), false, 'nor can A record an outcome for it');
    } finally {
      await p.close();
      await db.cleanup();
    }
  });

  it(
    'a buffered e-mail whose lease lapsed (renewals could not reach the database) is not sent: another instance may have it',
    { skip: SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false },
    async () => {
      // Each message takes the relay 4 s, one connection: the second e-mail waits in A's buffer.
      const sink = await startSmtpSink({ dataDelayMs: 4_000 });
      const db = await createTestDatabase('postgres');
      const target = new URL(TEST_DATABASE_URL);
      const proxy = await startProxy(target.hostname, Number(target.port || 5432));
      const proxied = new URL(TEST_DATABASE_URL);
      proxied.port = String(proxy.port);
      const a = await openTestPostroom({ ...db, databaseUrl: proxied.href }, { dispatcher: { leaseMs: 1_500, route } });
      const b = await openTestPostroom(db, { dispatcher: { route } });
      try {
        await b.settings.update(sinkSettings(sink.port, { smtpMaxConnections: 1 }), 'test');
        const first = await b.queue.handOver({ to: ['one@example.org'], subject: 'First', text: 'x' }, 'test');
        const second = await b.queue.handOver({ to: ['two@example.org'], subject: 'Second', text: 'x' }, 'test');
        await a.dispatcher.start();
        await until(async () => (await b.queue.counts()).sending === 2, 10_000, 'A to claim both e-mails');
        // A loses the database: its renewals fail, and its leases lapse.
        proxy.refusing = true;
        proxy.dropAll();
        await until(async () => ((await b.queue.repo.get(second.id))?.due_at ?? Infinity) < Date.now(), 10_000, "the second e-mail's lease to lapse");
        // B takes it, as a second instance would, and sends it.
        await b.dispatcher.runCampaign();
        proxy.refusing = false;
        await until(async () => (await b.queue.counts()).sent === 2, 20_000, 'both e-mails to be sent');
        // Room for A to send the second one again, were its guard gone: its outcome written again
        // (2 s apart at most), then a second's settling before new sends.
        await sleep(6_000);
        const copies = sink.messages.filter((m) => m.parsed.subject === 'Second').length;
        const story = JSON.stringify({ arrived: sink.messages.map((m) => m.parsed.subject), first: (await b.queue.show(first.id)).attemptLog, second: (await b.queue.show(second.id)).attemptLog });
        assert.equal(copies, 1, `A did not send the e-mail whose lease had lapsed in its buffer (B had it): ${story}`);
        // The first one was at the relay when A lost the database: B may send it again (the bound), no more.
        assert.ok(sink.messages.filter((m) => m.parsed.subject === 'First').length <= 2, story);
        assert.equal((await b.queue.show(first.id)).status, 'sent');
      } finally {
        await a.close();
        await b.close();
        await proxy.close();
        await sink.close();
        await db.cleanup();
      }
    },
  );

  it('a password the server refuses after the route was checked stops the route: the e-mail waits untouched, and the campaign ends', async () => {
    const options: SinkOptions = { auth: { user: 'relay', pass: 'first-password' } };
    let sink = await startSmtpSink(options);
    const db = await createTestDatabase('sqlite');
    const p = await openTestPostroom(db, { dispatcher: { route } });
    try {
      await p.settings.update(sinkSettings(sink.port, { smtpUser: 'relay', smtpPassword: 'first-password' }), 'test');
      await p.queue.handOver({ to: ['a@example.org'], subject: 'Before', text: 'x' }, 'test');
      assert.equal((await p.dispatcher.runCampaign()).outcome.state, 'ran');
      assert.equal(p.dispatcher.routeState().state, 'working', 'the route was checked and works');
      // The relay restarts with the password changed: the next connection's AUTH is refused.
      const port = sink.port;
      await sink.close();
      sink = await startSmtpSink({ auth: { user: 'relay', pass: 'rotated-password' }, port });
      const { id } = await p.queue.handOver({ to: ['b@example.org'], subject: 'After', text: 'x' }, 'test');
      const campaign = await Promise.race([p.dispatcher.runCampaign(), sleep(15_000, 'hung' as const)]);
      assert.notEqual(campaign, 'hung', 'the campaign ended: the refused route was checked again, not waited on');
      const e = await p.queue.show(id);
      assert.deepEqual([e.status, e.attemptLog.length], ['pending', 0], 'the e-mail waits untouched: no attempt charged, not failed');
      const state = p.dispatcher.routeState();
      assert.equal(state.state, 'failing');
      assert.match(state.message ?? '', /535/, `the route names the refusal: ${state.message}`);
      assert.equal(sink.messages.length, 0);
    } finally {
      await p.close();
      await db.cleanup();
      await sink.close();
    }
  });

  it('the purge deletes finished e-mails older than the retention, and none younger', async () => {
    const sink = await startSmtpSink();
    const db = await createTestDatabase('sqlite');
    const p = await openTestPostroom(db, { dispatcher: { route } });
    try {
      await p.settings.update(sinkSettings(sink.port), 'test');
      const ids: number[] = [];
      for (const subject of ['Old', 'Young', 'Now']) ids.push((await p.queue.handOver({ to: ['a@example.org'], subject, text: 'x' }, 'test')).id);
      await p.dispatcher.runCampaign();
      const DAY = 86_400_000;
      const now = Date.now();
      // Finished 40 and 29 days ago (set directly: the test cannot wait a month).
      await p.store.db.updateTable('emails').set({ finished_at: now - 40 * DAY }).where('id', '=', ids[0] as number).execute();
      await p.store.db.updateTable('emails').set({ finished_at: now - 29 * DAY }).where('id', '=', ids[1] as number).execute();
      assert.equal(await p.queue.purge(30), 1, 'only the e-mail past 30 days goes');
      assert.equal(await p.queue.repo.get(ids[0] as number), undefined);
      assert.ok(await p.queue.repo.get(ids[1] as number), 'the 29-day-old e-mail is kept with a 30-day retention');
      assert.equal(await p.queue.purge(28), 1, 'then the 29-day-old one with 28 days');
      assert.ok(await p.queue.repo.get(ids[2] as number), 'the one finished now stays');
    } finally {
      await p.close();
      await db.cleanup();
      await sink.close();
    }
  });
});
