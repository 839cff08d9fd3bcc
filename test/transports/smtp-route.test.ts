// The SMTP route against a real smtp-server scripted per case: which failures stop the route and
// which belong to one e-mail, each recipient's outcome, and replies that say what happened.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { OutgoingMessage } from '../../src/mail/index.js';
import { DeliveryError, type DeliveryReport } from '../../src/transports/index.js';
import { createSmtpRoute, type RouteOptions, type SmtpRoute } from '../../src/transports/smtp/index.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SinkOptions, type SmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/waiting.js';

const POSTMASTER = 'postmaster@example.com';
const PASSWORD = 's3cret-pass';

function message(to: string[], from = POSTMASTER): OutgoingMessage {
  return {
    id: 1,
    messageId: `<m-${Math.random().toString(36).slice(2)}@example.com>`,
    date: new Date(),
    from: { email: from, name: 'Postroom' },
    replyTo: [],
    to: to.map((email) => ({ email })),
    cc: [],
    bcc: [],
    envelope: { from, to },
    subject: 'Invoice 42',
    text: 'Please find it attached.',
    html: undefined,
    headers: {},
    attachments: [],
  };
}

async function refusal(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DeliveryError) return err;
    throw err;
  }
  assert.fail('expected a DeliveryError, the promise was fulfilled');
}

describe('SMTP route', () => {
  let sink: SmtpSink | undefined;
  let route: SmtpRoute | undefined;

  before(() => testPki());
  afterEach(async () => {
    await route?.close();
    await sink?.close();
    route = undefined;
    sink = undefined;
  });

  async function setup(sinkOptions: SinkOptions, settings: Partial<Parameters<typeof createSmtpRoute>[0]> = {}, options: RouteOptions = {}) {
    sink = await startSmtpSink(sinkOptions);
    route = createSmtpRoute(
      { smtpHost: 'localhost', smtpPort: sink.port, smtpUser: '', smtpPassword: '', startTls: true, smtpMaxConnections: 2, postmaster: POSTMASTER, ...settings },
      { ca: testPki().caPem, ...options },
    );
    return { sink, route };
  }

  describe('signing in', () => {
    it('never sends without AUTH when a user is set and the server offers none', async () => {
      const { sink, route } = await setup({ noAuth: true }, { smtpUser: 'relay', smtpPassword: PASSWORD });
      const e = await refusal(route.send(message(['alice@example.org'])));
      assert.equal(e.scope, 'route', 'every e-mail would meet it');
      assert.match(e.message, /^localhost:\d+ offers no AUTH on this connection, so nothing was sent \(Postroom never sends without signing in as relay\)$/);
      assert.equal(sink.transactions, 0, 'no message went out unauthenticated');
      const check = await refusal(route.verify());
      assert.equal(check.scope, 'route');
      assert.match(check.message, /offers no AUTH on this connection/);
    });

    it('does not send the password over a connection without TLS, even when the server offers AUTH', async () => {
      const { sink, route } = await setup({ startTls: false, insecureAuth: true, auth: { user: 'relay', pass: PASSWORD } }, { smtpUser: 'relay', smtpPassword: PASSWORD, startTls: false });
      const e = await refusal(route.send(message(['alice@example.org'])));
      assert.equal(e.scope, 'route');
      assert.equal(e.kind, 'permanent');
      assert.match(e.message, /is not encrypted, so Postroom did not send the password: check "Using the STARTTLS command"/);
      await refusal(route.verify());
      const d = await route.diagnose(POSTMASTER, 'alice@example.org');
      assert.deepEqual(d.steps.map((s) => [s.step, s.ok]), [['connect', true], ['starttls', true], ['auth', false]]);
      assert.deepEqual(sink.authAttempts, [], 'the server never received an AUTH command');
      assert.equal(sink.transactions, 0);
    });

    it('sends the password in clear only when allowPlaintextAuth says so', async () => {
      const { sink, route } = await setup(
        { startTls: false, insecureAuth: true, auth: { user: 'relay', pass: PASSWORD } },
        { smtpUser: 'relay', smtpPassword: PASSWORD, startTls: false, allowPlaintextAuth: true },
      );
      await route.verify();
      const report = await route.send(message(['alice@example.org']));
      assert.deepEqual(report.accepted, ['alice@example.org']);
      assert.deepEqual(sink.authAttempts.map((a) => a.secure), [false, false], 'the check and the send each signed in, in clear as allowed');
    });
  });

  describe('the sender', () => {
    const notOwned = { code: 553, message: `5.7.1 <${POSTMASTER}>: Sender address rejected: not owned by user relay` };

    it('a postmaster refused at MAIL FROM stops the route', async () => {
      const { route } = await setup({ auth: { user: 'relay', pass: PASSWORD }, mailFromReply: (a) => (a === POSTMASTER ? notOwned : null) }, { smtpUser: 'relay', smtpPassword: PASSWORD });
      const e = await refusal(route.send(message(['alice@example.org'])));
      assert.equal(e.scope, 'route');
      assert.equal(e.replyCode, 553);
      assert.equal(e.message, `localhost:${sink?.port} refuses the postmaster ${POSTMASTER} as sender for relay: 553 ${notOwned.message} (check that this login may send as the postmaster, or change "Mail postmaster")`);
      const check = await refusal(route.verify());
      assert.equal(check.scope, 'route');
      assert.match(check.message, /refuses the postmaster postmaster@example\.com as sender/);
    });

    it('a per-user sender refused at MAIL FROM fails that e-mail only', async () => {
      const { route } = await setup({ mailFromReply: (a) => (a === 'bob@corp.example' ? { code: 550, message: '5.7.60 SMTP; Client does not have permissions to send as this sender' } : null) });
      const e = await refusal(route.send(message(['alice@example.org'], 'bob@corp.example')));
      assert.equal(e.scope, 'message');
      assert.equal(e.kind, 'permanent');
      await route.verify();
    });

    it('Exchange refusing Send As for the postmaster (554 5.2.252) stops the route', async () => {
      const { route } = await setup({ mailFromReply: () => ({ code: 554, message: '5.2.252 SendAsDenied; postmaster@example.com not allowed to send as postmaster@example.com' }) });
      const e = await refusal(route.send(message(['alice@example.org'])));
      assert.equal(e.scope, 'route');
    });

    it('a sender refused at RCPT TO, as Postfix does by default, stops the route and Test connection blames the sender', async () => {
      const { sink, route } = await setup({ rcptReply: () => notOwned });
      const e = await refusal(route.send(message(['alice@example.org', 'bob@example.org'])));
      assert.equal(e.scope, 'route', 'the refusal names the sender for every recipient');
      assert.match(e.message, /refuses the postmaster postmaster@example\.com as sender: 553 5\.7\.1/);
      const check = await refusal(route.verify());
      assert.match(check.message, /refuses the postmaster postmaster@example\.com as sender/);
      const d = await route.diagnose(POSTMASTER, 'alice@example.org');
      assert.deepEqual(d.steps.at(-1), { step: 'sender', ok: false, detail: check.message, reply: `553 ${notOwned.message}` }, 'Test connection says what the route check says');
      assert.equal(sink.transactions, 0);
    });

    it('530 authentication required at MAIL FROM stops the route', async () => {
      const { route } = await setup({ mailFromReply: () => ({ code: 530, message: '5.7.0 Must issue a STARTTLS command first' }) }, { postmaster: 'other@example.com' });
      const e = await refusal(route.send(message(['alice@example.org'])));
      assert.equal(e.scope, 'route');
      assert.match(e.message, /requires a signed-in or encrypted session at MAIL FROM: 530 5\.7\.0 Must issue a STARTTLS command first/);
    });
  });

  describe('connecting', () => {
    it('421 at connect is the route, not the e-mail', async () => {
      const { route } = await setup({ connectReply: { code: 421, message: '4.3.2 Service not available, closing transmission channel' } });
      const e = await refusal(route.send(message(['alice@example.org'])));
      assert.deepEqual([e.scope, e.kind, e.replyCode], ['route', 'transient', 421]);
      assert.match(e.message, /^localhost:\d+ refused the connection: 421 4\.3\.2 Service not available/);
      const check = await refusal(route.verify());
      assert.deepEqual([check.scope, check.kind], ['route', 'transient']);
    });

    it('says what a refused connection and an unknown host mean', async () => {
      const closed = net.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as net.AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      route = createSmtpRoute({ smtpHost: '127.0.0.1', smtpPort: port, smtpUser: '', smtpPassword: '', startTls: true, smtpMaxConnections: 1, postmaster: POSTMASTER });
      const refused = await refusal(route.send(message(['alice@example.org'])));
      assert.equal(refused.message, `cannot reach 127.0.0.1:${port}: connection refused (nothing listens on that port, or a firewall refuses it)`);
      assert.deepEqual([refused.scope, refused.kind], ['route', 'transient']);
      await route.close();
      route = createSmtpRoute({ smtpHost: 'no-such-host.invalid', smtpPort: 587, smtpUser: '', smtpPassword: '', startTls: true, smtpMaxConnections: 1, postmaster: POSTMASTER });
      const dns = await refusal(route.send(message(['alice@example.org'])));
      assert.equal(dns.message, 'cannot reach no-such-host.invalid:587: the host name was not found in DNS');
    });
  });

  describe('a replaced route', () => {
    it('delivers a send that reaches it after close() on a connection of its own, and leaves nothing open', async () => {
      const { sink, route } = await setup({});
      await route.send(message(['alice@example.org']));
      assert.equal(sink.openConnections, 1, 'the pool keeps its connection for the next e-mail');
      // The settings replaced the route while this e-mail's message was still being built.
      await route.close();
      await until(() => sink.openConnections === 0, 5_000, `the pool's connection to close (${sink.openConnections} open)`);
      const late = await route.send(message(['bob@example.org']));
      assert.deepEqual(late.accepted, ['bob@example.org'], 'the late send is delivered, not lost');
      // Its connection goes with it: a pool made after close() would hold it until its idle sweep (30 s).
      await until(() => sink.openConnections === 0, 5_000, `the late send's connection to close (${sink.openConnections} open)`);
    });
  });

  describe('recipients', () => {
    it('accepted, refused for good and deferred, each with its reply; one reply code shown once', async () => {
      const replies: Record<string, { code: number; message: string }> = {
        'gone@example.org': { code: 550, message: '5.1.1 User unknown' },
        'full@example.org': { code: 452, message: '4.2.2 Mailbox full' },
      };
      const { sink, route } = await setup({ rcptReply: (a) => replies[a] ?? null });
      const report = await route.send(message(['alice@example.org', 'gone@example.org', 'full@example.org']));
      assert.deepEqual(report.accepted, ['alice@example.org']);
      assert.deepEqual(report.rejected, [{ recipient: 'gone@example.org', code: 550, reply: '550 5.1.1 User unknown' }]);
      assert.deepEqual(report.deferred, [{ recipient: 'full@example.org', code: 452, reply: '452 4.2.2 Mailbox full' }]);
      assert.match(report.reply, /^250 OK queued$/, 'the reply as the server gave it, its code once');
      assert.equal(report.replyCode, 250);
      assert.equal(sink.transactions, 1);
    });

    it('"452 4.5.3 too many recipients": the rest go in new transactions at once, one copy each', async () => {
      const { sink, route } = await setup({ maxRecipients: 2 });
      const to = ['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org', 'e@example.org'];
      const report: DeliveryReport = await route.send(message([...to, 'A@example.org']));
      assert.deepEqual(report.accepted.sort(), to, 'everyone accepted, A@ and a@ being one mailbox');
      assert.deepEqual([report.rejected, report.deferred], [[], []]);
      assert.deepEqual(sink.messages.map((m) => m.to), [to.slice(0, 2), to.slice(2, 4), to.slice(4)]);
      const ids = new Set(sink.messages.map((m) => m.parsed.messageId));
      assert.equal(ids.size, 1, 'the same message each time');
      assert.deepEqual(sink.messages[2]?.parsed.to, sink.messages[0]?.parsed.to, 'headers stay complete');
    });

    it('a pooled connection the server closed while idle is replaced: no failure', async () => {
      const { sink, route } = await setup({ idleTimeoutMs: 300 });
      await route.send(message(['alice@example.org']));
      await new Promise((r) => setTimeout(r, 700));
      const report = await route.send(message(['bob@example.org']));
      assert.deepEqual(report.accepted, ['bob@example.org']);
      assert.equal(sink.messages.length, 2);
    });

    it('sends to exactly the envelope it is given (a retry names only the recipients still owed)', async () => {
      const { sink, route } = await setup({});
      const m = message(['alice@example.org', 'bob@example.org']);
      await route.send({ ...m, envelope: { ...m.envelope, to: ['bob@example.org'] } });
      assert.deepEqual(sink.messages[0]?.to, ['bob@example.org']);
      assert.match(sink.messages[0]?.raw ?? '', /^To: alice@example\.org, bob@example\.org$/m);
    });

    it('every recipient deferred: transient; every recipient refused: permanent', async () => {
      const { route } = await setup({ rcptReply: (a) => (a.startsWith('later') ? { code: 451, message: '4.7.1 Greylisted' } : { code: 550, message: '5.1.1 User unknown' }) });
      const later = await refusal(route.send(message(['later1@example.org', 'later2@example.org'])));
      assert.deepEqual([later.scope, later.kind], ['message', 'transient']);
      assert.deepEqual(later.rejected.map((r) => r.code), [451, 451], 'both deferred with their 4xx');
      const never = await refusal(route.send(message(['x@example.org', 'y@example.org'])));
      assert.deepEqual([never.scope, never.kind], ['message', 'permanent']);
      assert.deepEqual(never.rejected.map((r) => r.code), [550, 550]);
      const mixed = await refusal(route.send(message(['later1@example.org', 'x@example.org'])));
      assert.equal(mixed.kind, 'transient', 'one recipient may still get it later');
      assert.deepEqual(mixed.rejected.map((r) => [r.recipient, r.code]), [['x@example.org', 550], ['later1@example.org', 451]]);
    });
  });

  /** A bare SMTP server that resets the connection (TCP RST) when `resetOn` matches a line it reads. */
  async function resettingServer(resetOn: RegExp, offerAuth = false): Promise<{ port: number; close(): Promise<void> }> {
    const server = net.createServer((socket) => {
      let inData = false;
      let buffered = '';
      socket.write('220 raw.example.com ESMTP\r\n');
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        let i: number;
        while ((i = buffered.indexOf('\r\n')) >= 0) {
          const line = buffered.slice(0, i);
          buffered = buffered.slice(i + 2);
          if (resetOn.test(line)) return void socket.resetAndDestroy();
          if (inData) {
            if (line === '.') {
              inData = false;
              socket.write('250 2.0.0 Ok\r\n');
            }
            continue;
          }
          const verb = line.slice(0, 4).toUpperCase();
          if (verb === 'DATA') {
            inData = true;
            socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
          } else if (verb === 'QUIT') socket.end('221 2.0.0 Bye\r\n');
          else if (verb === 'EHLO') socket.write(offerAuth ? '250-raw.example.com\r\n250 AUTH PLAIN\r\n' : '250 raw.example.com\r\n');
          else socket.write('250 2.0.0 Ok\r\n');
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  describe('replies that say what happened', () => {
    it('a reset before the message went out: nothing was delivered, the e-mail is retried, the route goes on', async () => {
      const raw = await resettingServer(/^MAIL FROM/);
      try {
        route = createSmtpRoute({ smtpHost: '127.0.0.1', smtpPort: raw.port, smtpUser: '', smtpPassword: '', startTls: false, smtpMaxConnections: 1, postmaster: POSTMASTER });
        const e = await refusal(route.send(message(['alice@example.org'])));
        assert.deepEqual([e.scope, e.kind], ['message', 'transient']);
        assert.match(e.message, /^the server \(or something on the way\) reset the connection \(127\.0\.0\.1:\d+\) before the message was sent: nothing was delivered$/);
      } finally {
        await raw.close();
      }
    });

    it('a connection lost while signing in is the route\'s, and does not hang', async () => {
      const raw = await resettingServer(/^AUTH /, true);
      try {
        route = createSmtpRoute({ smtpHost: '127.0.0.1', smtpPort: raw.port, smtpUser: 'relay', smtpPassword: PASSWORD, startTls: false, allowPlaintextAuth: true, smtpMaxConnections: 1, postmaster: POSTMASTER });
        const e = await refusal(route.send(message(['alice@example.org'])));
        assert.deepEqual([e.scope, e.kind], ['route', 'transient']);
        assert.match(e.message, /^the server \(or something on the way\) reset the connection \(127\.0\.0\.1:\d+\) while signing in: nothing was sent$/);
      } finally {
        await raw.close();
      }
    });

    it('a reset after the end of the message: it may or may not have been delivered', async () => {
      const raw = await resettingServer(/^\.$/);
      try {
        route = createSmtpRoute({ smtpHost: '127.0.0.1', smtpPort: raw.port, smtpUser: '', smtpPassword: '', startTls: false, smtpMaxConnections: 1, postmaster: POSTMASTER });
        const e = await refusal(route.send(message(['alice@example.org'])));
        assert.deepEqual([e.scope, e.kind], ['message', 'transient']);
        assert.match(e.message, /after the message was sent, before the server answered: it may or may not have been delivered$/);
      } finally {
        await raw.close();
      }
    });

    it('no reply after the message was sent: it may or may not have been delivered', async () => {
      const { sink, route } = await setup({ silentAfterData: true }, {}, { timeouts: { dataReplyMs: 400 } });
      const e = await refusal(route.send(message(['alice@example.org'])));
      assert.deepEqual([e.scope, e.kind], ['message', 'transient']);
      assert.match(e.message, /^no reply from localhost:\d+ after the message was sent \(0\.[4-9] s\): it may or may not have been delivered$/);
      assert.equal(sink.transactions, 1);
    });
  });

  after(async () => {
    await route?.close();
  });
});
