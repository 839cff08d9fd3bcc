// Postroom against a real Postfix relay set up as most are (STARTTLS before AUTH, a login may send
// only as itself): the two commonest set-up mistakes stop the route and cost no e-mail.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { composeTestMessage } from '../../src/queue/index.js';
import { createRoute, DeliveryError, testConnection } from '../../src/transports/index.js';
import { defaultSettings } from '../../src/settings/fields.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';
import { startPostfix, type PostfixRelay } from '../helpers/postfix.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const FAST = { backoff: { baseMs: 50, capMs: 200 }, leaseMs: 5_000 };
const basic = { to: ['alice@example.org'], subject: 'Invoice 42', text: 'Please find it attached.' };

describe('a real Postfix relay', () => {
  let relay: PostfixRelay;
  let target: SmtpSink;
  let db: TestDatabase | undefined;
  let postroom: Postroom | undefined;

  before(async () => {
    testPki();
    // Where Postfix hands on what it accepts, so a test sees the delivery end to end.
    target = await startSmtpSink();
    relay = await startPostfix({ relayPort: target.port });
  });
  after(async () => {
    await relay?.close();
    await target?.close();
  });
  afterEach(async () => {
    await postroom?.close();
    await db?.cleanup();
    postroom = undefined;
    db = undefined;
    // POSTROOM_TEST_POSTFIX_LOG=1 shows what Postfix saw, to debug a failing case.
    if (process.env.POSTROOM_TEST_POSTFIX_LOG) console.error(relay.log());
  });

  const settings = (extra: Record<string, unknown> = {}) => ({
    ...sinkSettings(relay.port, { smtpUser: relay.login, smtpPassword: relay.password, postmaster: relay.login }),
    ...extra,
  });

  async function open(extra: Record<string, unknown> = {}) {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { ...FAST, route: { ca: testPki().caPem } } });
    await postroom.settings.update(settings(extra), 'test');
    return postroom;
  }

  it('a correct configuration delivers through Postfix', async () => {
    const p = await open();
    const { id } = await p.queue.handOver(basic, 'test');
    const report = await p.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'ran', JSON.stringify(report.outcome));
    const e = await p.queue.show(id);
    assert.equal(e.status, 'sent');
    assert.match(e.attemptLog[0]?.reply ?? '', /^250 2\.0\.0 Ok: queued as \w+$/, 'Postfix\'s reply, its code once');
    const [msg] = await target.waitFor(1, 20_000);
    assert.equal(msg?.from, relay.login);
    assert.deepEqual(msg?.to, ['alice@example.org']);
    assert.equal(msg?.parsed.messageId, e.messageId);
  });

  it('STARTTLS unticked with a password: the password is never sent and no e-mail fails', async () => {
    const logFrom = relay.log().length;
    const p = await open({ startTls: false });
    const { id } = await p.queue.handOver(basic, 'test');
    const report = await p.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'incomplete', 'a configuration problem, before any connection');
    const problems = report.outcome.state === 'incomplete' ? report.outcome.problems : [];
    assert.deepEqual(problems.map((x) => x.key), ['startTls']);
    assert.match(problems[0]?.message ?? '', /the SMTP password would cross the network unencrypted/);
    const e = await p.queue.show(id);
    assert.deepEqual([e.status, e.attemptLog.length], ['pending', 0]);
    // The route refuses on its own too, and Test connection says why without sending the password.
    const s = { ...defaultSettings(), ...settings({ startTls: false }) } as ReturnType<typeof defaultSettings>;
    const route = createRoute(s, { ca: testPki().caPem });
    try {
      const err = await route.verify().then(() => null, (x: unknown) => x);
      assert.ok(err instanceof DeliveryError, `verify() refused: ${String(err)}`);
      assert.equal(err.scope, 'route');
      assert.match(err.message, /is not encrypted, so Postroom did not send the password/);
    } finally {
      await route.close();
    }
    const d = await testConnection(s, { ca: testPki().caPem }, undefined, 'alice@example.org');
    assert.deepEqual(d.steps.map((x) => [x.step, x.ok]), [['connect', true], ['starttls', true], ['auth', false]]);
    // Postfix writes its log through postlogd: give the last lines a moment.
    let seen = '';
    for (let i = 0; i < 40 && !seen.includes('disconnect from'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = relay.log().slice(logFrom);
    }
    // One connection: Test connection's. verify() refused before connecting at all.
    assert.equal((seen.match(/disconnect from localhost\[127\.0\.0\.1\] ehlo=1 quit=1 commands=2/g) ?? []).length, 1, `Test connection connected once:\n${seen}`);
    assert.doesNotMatch(seen, /auth=|sasl_/, 'Postfix never saw an AUTH command');
  });

  it('STARTTLS unticked, plain-text passwords allowed: Postfix offers no AUTH, the route stops, no e-mail fails', async () => {
    const p = await open({ startTls: false, allowPlaintextAuth: true });
    const a = await p.queue.handOver(basic, 'test');
    const b = await p.queue.handOver({ ...basic, subject: 'two' }, 'test');
    const report = await p.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing', JSON.stringify(report.outcome));
    assert.match(report.outcome.state === 'route-failing' ? report.outcome.message : '', /^localhost:\d+ offers no AUTH on this connection, so nothing was sent .*check "Using the STARTTLS command"$/);
    for (const { id } of [a, b]) {
      const e = await p.queue.show(id);
      assert.deepEqual([e.status, e.attemptLog.length], ['pending', 0], 'the e-mail waits untouched');
    }
    // The send path refuses the same way: nodemailer alone would have sent without signing in.
    const route = createRoute({ ...defaultSettings(), ...settings({ startTls: false, allowPlaintextAuth: true }) } as ReturnType<typeof defaultSettings>, { ca: testPki().caPem });
    try {
      const m = composeTestMessage({ ...defaultSettings(), ...settings() } as ReturnType<typeof defaultSettings>, 'alice@example.org');
      const err = await route.send(m).then(() => null, (x: unknown) => x);
      assert.ok(err instanceof DeliveryError, `send() refused: ${String(err)}`);
      assert.deepEqual([err.scope, err.kind], ['route', 'permanent']);
      assert.doesNotMatch(relay.log(), /530 5\.7\.0/, 'no MAIL FROM was tried without signing in');
    } finally {
      await route.close();
    }
  });

  it('a postmaster the login may not send as: the route stops at the sender, no e-mail fails', async () => {
    const p = await open({ postmaster: 'postmaster@example.com' });
    const a = await p.queue.handOver(basic, 'test');
    const b = await p.queue.handOver({ ...basic, sender: { email: 'bob@corp.example', name: 'Bob' } }, 'test');
    const report = await p.dispatcher.runCampaign();
    assert.equal(report.outcome.state, 'route-failing', JSON.stringify(report.outcome));
    assert.equal(
      report.outcome.state === 'route-failing' ? report.outcome.message : '',
      `localhost:${relay.port} refuses the postmaster postmaster@example.com as sender for ${relay.login}: ` +
        `553 5.7.1 <postmaster@example.com>: Sender address rejected: not owned by user ${relay.login} (check that this login may send as the postmaster, or change "Mail postmaster")`,
    );
    for (const { id } of [a, b]) {
      const e = await p.queue.show(id);
      assert.deepEqual([e.status, e.attemptLog.length], ['pending', 0], 'the e-mail waits untouched');
    }
    assert.equal(target.messages.filter((m) => m.from === 'postmaster@example.com').length, 0);
    // Test connection blames the sender, not the recipient.
    const s = { ...defaultSettings(), ...settings({ postmaster: 'postmaster@example.com' }) } as ReturnType<typeof defaultSettings>;
    const d = await testConnection(s, { ca: testPki().caPem }, undefined, 'alice@example.org');
    assert.deepEqual(d.steps.at(-1), {
      step: 'sender',
      ok: false,
      // The same words as the route check's, which stopped the campaign above.
      detail:
        `localhost:${relay.port} refuses the postmaster postmaster@example.com as sender for ${relay.login}: ` +
        `553 5.7.1 <postmaster@example.com>: Sender address rejected: not owned by user ${relay.login} (check that this login may send as the postmaster, or change "Mail postmaster")`,
      reply: `553 5.7.1 <postmaster@example.com>: Sender address rejected: not owned by user ${relay.login}`,
    });
    // The send path reads Postfix's refusal the same way, should the route change under a campaign.
    const route = createRoute(s, { ca: testPki().caPem });
    try {
      const err = await route.send(composeTestMessage(s, 'alice@example.org')).then(() => null, (x: unknown) => x);
      assert.ok(err instanceof DeliveryError, `send() refused: ${String(err)}`);
      assert.deepEqual([err.scope, err.replyCode], ['route', 553]);
    } finally {
      await route.close();
    }
    // Fixed in the settings: the next campaign sends both.
    await p.settings.update({ postmaster: relay.login }, 'test');
    await p.dispatcher.runCampaign();
    assert.deepEqual([(await p.queue.show(a.id)).status, (await p.queue.show(b.id)).status], ['sent', 'sent']);
  });
});
