// Webhooks on each real backend with a real HTTP receiver: signed events for every outcome, in
// order per e-mail, retried after a 500 or a silent receiver, disabled after failing, scoped to
// the token that made them, and never pointed at link-local, metadata or (unless an administrator
// allowed it for the webhook) private addresses.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { tokenSource } from '../../src/access/index.js';
import { verifySignature, WebhookInputError, WebhookNotFoundError, type WebhookViewer } from '../../src/webhooks/index.js';
import { BACKENDS, SKIP_POSTGRES, createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startWebhookReceiver, type ReceivedEvent, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const ADMIN: WebhookViewer = { kind: 'admin', actor: 'admin:test' };
const mail = (to: string[], subject: string) => ({ to, subject, text: 'body' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function refusedUrl(p: Postroom, url: string, viewer: WebhookViewer = ADMIN): Promise<string> {
  try {
    await p.webhooks.create({ url }, viewer);
  } catch (err) {
    assert.ok(err instanceof WebhookInputError, `expected a WebhookInputError for ${url}, got ${String(err)}`);
    assert.equal(err.errors[0]?.field, 'url', `the refusal of ${url} names the field`);
    return err.errors[0]?.message ?? '';
  }
  assert.fail(`${url} was accepted`);
}

describe('webhooks', { concurrency: BACKENDS.length }, () => {
  for (const backend of BACKENDS) {
    describe(`webhooks (${backend})`, { concurrency: 1, skip: backend === 'postgres' && SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, () => {
      let db: TestDatabase;
      let p: Postroom;
      let receiver: WebhookReceiver;
      let sink: SmtpSink;

      beforeEach(async () => {
        db = await createTestDatabase(backend);
        receiver = await startWebhookReceiver();
        sink = await startSmtpSink({ rcptReply: (a) => (a.startsWith('nobody@') ? { code: 550, message: '5.1.1 no such user' } : null) });
        p = await openTestPostroom(db, {
          dispatcher: { route: { ca: testPki().caPem }, backoff: { baseMs: 50, capMs: 100 } },
          webhooks: { backoffBaseMs: 30, backoffCapMs: 60, timeoutMs: 2000 },
        });
        await p.settings.update(sinkSettings(sink.port), 'test');
      });

      afterEach(async () => {
        await p.close();
        await receiver.close();
        await sink.close();
        await db.cleanup();
      });

      it('delivers signed events for deferred, sent, partly refused and failed e-mails, ordered by statusVersion', async () => {
        const hook = await p.webhooks.create({ allowPrivateTarget: true, url: receiver.url }, ADMIN);
        assert.match(hook.secret, /^whsec_/, 'the secret is shown when the webhook is made');

        sink.dataReplies.push({ code: 451, message: '4.3.0 try again later' });
        const first = await p.queue.handOver(mail(['ok@example.org'], 'deferred then sent'), 'test');
        await p.dispatcher.runCampaign(); // 451: deferred
        await sleep(150);
        await p.dispatcher.runCampaign(); // sent
        const partial = await p.queue.handOver(mail(['ok@example.org', 'nobody@example.org'], 'partly refused'), 'test');
        await p.dispatcher.runCampaign();
        sink.dataReplies.push({ code: 554, message: '5.6.0 message refused' });
        const failed = await p.queue.handOver(mail(['ok@example.org'], 'refused'), 'test');
        await p.dispatcher.runCampaign();

        await p.deliverer.round();
        const got = await receiver.waitFor(5);
        for (const e of got) {
          assert.equal(verifySignature(e.raw, e.signature, hook.secret), true, `signature of ${e.body.type} verifies with the secret`);
          assert.equal(verifySignature(e.raw, e.signature, 'whsec_wrong'), false, 'and not with another secret');
          assert.equal(e.eventId, e.body.id, 'Postroom-Event-Id is the body id');
          assert.match(e.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
        }
        const of = (id: number) => got.filter((e) => e.body.data.email.id === id);
        assert.deepEqual(of(first.id).map((e) => e.body.type), ['email.deferred', 'email.sent']);
        const [deferred, sent] = of(first.id) as [ReceivedEvent, ReceivedEvent];
        assert.ok(sent.body.data.email.statusVersion > deferred.body.data.email.statusVersion, 'the later event has the higher statusVersion');
        assert.equal(deferred.body.data.email.status, 'error');
        assert.ok(deferred.body.data.email.nextAttemptAt !== null, 'a deferred event says when the next try is');
        assert.match(deferred.body.data.email.lastReply ?? '', /451|try again later/);
        assert.equal(sent.body.data.email.messageId, first.messageId);
        assert.deepEqual(sent.body.data.email.to, [{ email: 'ok@example.org' }]);
        assert.equal(sent.body.data.email.subject, 'deferred then sent');

        assert.deepEqual(of(partial.id).map((e) => e.body.type), ['email.recipient_refused', 'email.sent']);
        assert.deepEqual(of(partial.id)[0]?.body.data.email.rejectedRecipients.map((r) => r.recipient), ['nobody@example.org']);
        assert.deepEqual(
          of(partial.id)[1]?.body.data.email.recipients.map((r) => [r.recipient, r.state]),
          [['ok@example.org', 'accepted'], ['nobody@example.org', 'refused']],
          'each recipient with its state',
        );
        assert.deepEqual(of(failed.id).map((e) => [e.body.type, e.body.data.email.status]), [['email.failed', 'failed']]);

        const log = await p.webhooks.deliveries(hook.id, ADMIN);
        assert.equal(log.length, 5, 'every delivery is in the log');
        assert.ok(log.every((d) => d.status === 'delivered' && d.lastStatus === 200), JSON.stringify(log));
        const left = await p.store.db.selectFrom('email_events').select('id').execute();
        assert.deepEqual(left, [], 'events are removed once fanned out');
      });

      it('writes held and cancelled events, and none for e-mails no webhook listens to', async () => {
        const before = await p.queue.handOver(mail(['a@example.org'], 'before any webhook'), 'test');
        await p.queue.cancel(before.id);
        const hook = await p.webhooks.create({ allowPrivateTarget: true, url: receiver.url, events: ['email.held', 'email.cancelled'] }, ADMIN);
        const e = await p.queue.handOver(mail(['a@example.org'], 'held then cancelled'), 'test');
        assert.equal(await p.queue.lifecycle.hold(Date.now() + 1, Date.now()), 1);
        await p.queue.cancel(e.id);
        await p.deliverer.round();
        const got = await receiver.waitFor(2);
        assert.deepEqual(got.map((r) => [r.body.type, r.body.data.email.id]), [['email.held', e.id], ['email.cancelled', e.id]]);
        assert.ok((got[1]?.body.data.email.statusVersion ?? 0) > (got[0]?.body.data.email.statusVersion ?? 0), 'ordered by statusVersion');
        assert.equal((await p.webhooks.deliveries(hook.id, ADMIN)).length, 2, 'nothing about the e-mail cancelled before the webhook existed');
      });

      it('retries after a 500, keeping each answer in the delivery log', async () => {
        const hook = await p.webhooks.create({ allowPrivateTarget: true, url: receiver.url }, ADMIN);
        receiver.answers.push(500);
        const e = await p.queue.handOver(mail(['a@example.org'], 'x'), 'test');
        await p.queue.cancel(e.id);
        const r1 = await p.deliverer.round();
        assert.equal(r1.failedAttempts, 1, 'the 500 is a failed attempt');
        let [d] = await p.webhooks.deliveries(hook.id, ADMIN);
        assert.equal(d?.status, 'pending');
        assert.equal(d?.lastStatus, 500);
        assert.equal(d?.lastBodyExcerpt, 'receiver says 500');
        assert.equal((await p.webhooks.get(hook.id, ADMIN)).failingSince !== null, true, 'the webhook is marked failing');
        await sleep(120);
        await p.deliverer.round();
        const [got] = await receiver.waitFor(1);
        assert.equal(got?.body.type, 'email.cancelled');
        [d] = await p.webhooks.deliveries(hook.id, ADMIN);
        assert.deepEqual([d?.status, d?.attempts, d?.lastStatus], ['delivered', 2, 200]);
        assert.equal((await p.webhooks.get(hook.id, ADMIN)).failingSince, null, 'a success ends the failing spell');
      });

      it('gives up an attempt when the receiver does not answer within the timeout', async () => {
        await p.close();
        p = await openTestPostroom(db, { webhooks: { timeoutMs: 300, backoffBaseMs: 30, backoffCapMs: 60 } });
        const hook = await p.webhooks.create({ allowPrivateTarget: true, url: receiver.url }, ADMIN);
        receiver.answers.push('hang');
        const e = await p.queue.handOver(mail(['a@example.org'], 'x'), 'test');
        await p.queue.cancel(e.id);
        const started = Date.now();
        assert.equal((await p.deliverer.round()).failedAttempts, 1);
        assert.ok(Date.now() - started < 2000, 'the round did not wait for the silent receiver');
        const [d] = await p.webhooks.deliveries(hook.id, ADMIN);
        assert.equal(d?.lastStatus, null);
        assert.match(d?.lastBodyExcerpt ?? '', /no answer within 0.3 s/);
        await sleep(100);
        await p.deliverer.round();
        assert.equal((await receiver.waitFor(1))[0]?.body.type, 'email.cancelled', 'delivered on the next try');
      });

      it('disables a webhook failing for the whole window, with an audit entry, and gives up its deliveries', async () => {
        await p.close();
        p = await openTestPostroom(db, { webhooks: { disableAfterMs: 100, backoffBaseMs: 20, backoffCapMs: 20 } });
        const hook = await p.webhooks.create({ allowPrivateTarget: true, url: receiver.url }, ADMIN);
        receiver.answers.push(503, 503, 503, 503, 503);
        const e = await p.queue.handOver(mail(['a@example.org'], 'x'), 'test');
        await p.queue.cancel(e.id);
        await p.deliverer.round();
        await sleep(150);
        await p.deliverer.round();
        const after = await p.webhooks.get(hook.id, ADMIN);
        assert.ok(after.disabledAt !== null, 'disabled');
        assert.match(after.disabledReason ?? '', /failing since .* 503/);
        const [d] = await p.webhooks.deliveries(hook.id, ADMIN);
        assert.equal(d?.status, 'failed', 'its waiting delivery is given up');
        const audit = await p.settings.audit();
        assert.ok(audit.some((a) => a.key === `webhook:${hook.id}` && a.actor === 'postroom' && JSON.stringify(a.newValue).includes('disabled')), JSON.stringify(audit));
        // Disabled: no new events are even written for it.
        const e2 = await p.queue.handOver(mail(['a@example.org'], 'y'), 'test');
        await p.queue.cancel(e2.id);
        assert.deepEqual(await p.store.db.selectFrom('email_events').select('id').execute(), []);
        await p.webhooks.enable(hook.id, ADMIN);
        assert.equal((await p.webhooks.get(hook.id, ADMIN)).disabledAt, null, 'enabled again');
      });

      it("sends a token's webhook only the events of that token's e-mails, and an administrator's all", async () => {
        const a = await p.tokens.create('erp', 'test');
        const b = await p.tokens.create('crm', 'test');
        const asA: WebhookViewer = { kind: 'token', source: tokenSource(a), tokenId: a.id, actor: tokenSource(a) };
        const asB: WebhookViewer = { kind: 'token', source: tokenSource(b), tokenId: b.id, actor: tokenSource(b) };
        const other = await startWebhookReceiver();
        try {
          const hookA = await p.webhooks.create({ allowPrivateTarget: true, forToken: a.id, url: receiver.url }, ADMIN);
          const hookAll = await p.webhooks.create({ allowPrivateTarget: true, url: other.url }, ADMIN);
          const fromA = await p.queue.handOver(mail(['a@example.org'], 'from A'), tokenSource(a));
          const fromB = await p.queue.handOver(mail(['a@example.org'], 'from B'), tokenSource(b));
          await p.queue.cancel(fromA.id);
          await p.queue.cancel(fromB.id);
          await p.deliverer.round();
          await other.waitFor(2);
          await receiver.waitFor(1);
          await sleep(50);
          assert.deepEqual(receiver.received.map((r) => r.body.data.email.id), [fromA.id], "A's webhook hears only of A's e-mail");
          assert.deepEqual(other.received.map((r) => r.body.data.email.id).sort(), [fromA.id, fromB.id].sort(), "the administrator's hears of both");

          assert.deepEqual((await p.webhooks.list(asA)).map((h) => h.id), [hookA.id], 'a token lists its own');
          assert.deepEqual((await p.webhooks.list(asB)).map((h) => h.id), [], 'and not the others');
          assert.equal((await p.webhooks.list(ADMIN)).length, 2, 'an administrator lists all');
          await assert.rejects(p.webhooks.remove(hookA.id, asB), WebhookNotFoundError, "B cannot remove A's webhook");
          await assert.rejects(p.webhooks.deliveries(hookAll.id, asA), WebhookNotFoundError, "nor read the administrator's log");

          // A revoked token's webhook falls silent.
          await p.tokens.revoke(a.id);
          const again = await p.queue.handOver(mail(['a@example.org'], 'after revoke'), tokenSource(a));
          await p.queue.cancel(again.id);
          await p.deliverer.round();
          await other.waitFor(3);
          assert.equal(receiver.received.length, 1, 'nothing more for the revoked token');
          await p.webhooks.remove(hookA.id, asA).catch(() => undefined);
        } finally {
          await other.close();
        }
      });

      it('refuses non-http URLs, link-local and metadata addresses always, and private ones unless allowed', async () => {
        assert.match(await refusedUrl(p, 'ftp://example.org/x'), /http or https/);
        assert.match(await refusedUrl(p, 'not a url'), /not a URL/);
        assert.match(await refusedUrl(p, 'http://user:pw@127.0.0.1/'), /user name or password/);
        assert.match(await refusedUrl(p, 'http://169.254.169.254/latest/meta-data/'), /link-local, metadata/);
        assert.match(await refusedUrl(p, 'http://[fe80::1]/'), /link-local/);
        assert.match(await refusedUrl(p, 'http://[::ffff:169.254.169.254]/'), /link-local/);
        assert.match(await refusedUrl(p, 'http://[fd00:ec2::254]/'), /metadata/);
        assert.match(await refusedUrl(p, receiver.url), /private or loopback.*allowPrivateTarget/);
        assert.match(await refusedUrl(p, `http://localhost:${receiver.port}/`), /localhost resolves to .*private or loopback/);
        assert.match(await refusedUrl(p, 'http://10.1.2.3/'), /private/);
        assert.match(await refusedUrl(p, 'http://[::1]/'), /private/);
        // IPv6 forms that carry an IPv4 address are judged as that address: all passed before.
        for (const carrier of ['::7f00:1', '::ffff:0:7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::', '2001:0:4136:e378:8000:63bf:80ff:fffe']) {
          assert.match(await refusedUrl(p, `http://[${carrier}]/`), /private or loopback address \(it carries 127\.0\.0\.1\)/, carrier);
        }
        assert.match(await refusedUrl(p, 'http://[::a9fe:a9fe]/'), /link-local, metadata.*169\.254\.169\.254/);
        assert.match(await refusedUrl(p, 'http://[2002:a9fe:a9fe::1]/'), /link-local, metadata.*169\.254\.169\.254/);
        const count = await p.store.db.selectFrom('webhooks').select('id').execute();
        assert.deepEqual(count, [], 'nothing was stored');

        // Checked again at each delivery, by name (resolved at connection time, against DNS
        // rebinding) and by IP: two webhooks as if made while their names pointed elsewhere.
        const byName = await p.webhooks.create({ allowPrivateTarget: true, url: `http://localhost:${receiver.port}/x` }, ADMIN);
        const byIp = await p.webhooks.create({ allowPrivateTarget: true, url: receiver.url }, ADMIN);
        await p.store.db.updateTable('webhooks').set({ private_allowed_by: null }).execute();
        const e = await p.queue.handOver(mail(['a@example.org'], 'x'), 'test');
        await p.queue.cancel(e.id);
        await p.deliverer.round();
        assert.equal(receiver.received.length, 0, 'nothing reached the private address');
        const [viaName] = await p.webhooks.deliveries(byName.id, ADMIN);
        const [viaIp] = await p.webhooks.deliveries(byIp.id, ADMIN);
        assert.match(viaName?.lastBodyExcerpt ?? '', /localhost resolves to .*private or loopback/);
        assert.match(viaIp?.lastBodyExcerpt ?? '', /127\.0\.0\.1 is a private or loopback/);
      });

      it('never delivers to link-local or metadata addresses, even where an administrator allowed private ones', async () => {
        for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::a9fe:a9fe]/', 'http://[fd00:ec2::254]/']) {
          await assert.rejects(p.webhooks.create({ allowPrivateTarget: true, url }, ADMIN), /link-local, metadata/, url);
        }
      });

      it("a receiver that hangs holds its own token's deliveries only: another token's go out at once", async () => {
        const slow = await p.tokens.create('slow-app', 'test');
        const fast = await p.tokens.create('fast-app', 'test');
        const hanging = await startWebhookReceiver();
        hanging.answers = Array<'hang'>(100).fill('hang');
        try {
          for (let i = 0; i < 10; i++) {
            await p.webhooks.create({ allowPrivateTarget: true, forToken: slow.id, url: `${hanging.url}/${i}`, events: ['email.cancelled'] }, ADMIN);
          }
          await p.webhooks.create({ allowPrivateTarget: true, forToken: fast.id, url: receiver.url, events: ['email.cancelled'] }, ADMIN);
          // 30 deliveries to a receiver that never answers (each attempt waits out the 2 s timeout).
          for (let i = 0; i < 3; i++) await p.queue.cancel((await p.queue.handOver(mail(['a@example.org'], `slow ${i}`), tokenSource(slow))).id);
          p.deliverer.start();
          await sleep(1200);
          const handedAt = Date.now();
          await p.queue.cancel((await p.queue.handOver(mail(['a@example.org'], 'fast'), tokenSource(fast))).id);
          const [got] = await receiver.waitFor(1, 10_000);
          const waited = (got?.receivedAt ?? Infinity) - handedAt;
          // One poll (1 s) away; it waited behind the other token's hung attempts (4 s or more) before.
          assert.ok(waited < 2500, `the other token's event arrived ${waited} ms after its e-mail`);
        } finally {
          await hanging.close();
        }
      });

      it('delivers to a host name, connecting to the address it checked', async () => {
        const hook = await p.webhooks.create({ allowPrivateTarget: true, url: `http://localhost:${receiver.port}/by-name` }, ADMIN);
        const e = await p.queue.handOver(mail(['a@example.org'], 'x'), 'test');
        await p.queue.cancel(e.id);
        await p.deliverer.round();
        const [got] = await receiver.waitFor(1);
        assert.equal(verifySignature(got?.raw ?? '', got?.signature, hook.secret), true);
        assert.equal((await p.webhooks.deliveries(hook.id, ADMIN))[0]?.status, 'delivered');
      });

      it('keeps the secret sealed at rest and out of every list and the audit', async () => {
        const hook = await p.webhooks.create({ allowPrivateTarget: true, url: receiver.url }, ADMIN);
        const [row] = await p.store.db.selectFrom('webhooks').select('secret').execute();
        assert.ok(row && !row.secret.includes(hook.secret), 'the stored secret is sealed');
        assert.ok(!JSON.stringify(await p.webhooks.list(ADMIN)).includes(hook.secret), 'not in the list');
        assert.ok(!JSON.stringify(await p.settings.audit()).includes(hook.secret), 'not in the audit');
      });
    });
  }
});
