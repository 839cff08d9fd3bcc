// "Test connection" and the route check before a campaign, one walk for both: connect, upgrade,
// sign in, MAIL FROM (and a RCPT TO, where servers such as Postfix refuse a sender), RSET; nothing is sent.
import net from 'node:net';
import os from 'node:os';
import type { EmailSettings } from '../settings/index.js';
import { DeliveryError, type FailureKind } from './route.js';
import { SmtpDialogue, type SmtpReply } from './smtp-dialogue.js';
import { exchangeSmtpAdvice } from './exchange-advice.js';
import { isAuthRequired, isSenderRefusedAtRcpt } from './smtp-outcome.js';
import { EXCHANGE_535_HELP } from './smtp.js';
import { UNTRUSTED, UNTRUSTED_SMTP_HINT } from './trust.js';

export type StepName = 'token' | 'connect' | 'starttls' | 'auth' | 'sender' | 'recipient';

export interface DiagnosisStep {
  step: StepName;
  ok: boolean;
  /** What happened, in a sentence an administrator can act on. */
  detail: string;
  /** The server's reply, when it gave one. */
  reply?: string;
}

export interface Diagnosis {
  ok: boolean;
  route: string;
  steps: DiagnosisStep[];
}

export type DiagnoseSettings = Pick<EmailSettings, 'smtpHost' | 'smtpPort' | 'smtpUser' | 'smtpPassword' | 'startTls'> &
  Partial<Pick<EmailSettings, 'allowPlaintextAuth'>>;

export interface WalkOptions {
  ca?: string | string[] | undefined;
  timeoutMs?: number;
  xoauth2?: { user: string; token: string; refusedHelp?: string };
}

/** The walk's steps, and for the route check the first failure as the sending process reads it. */
interface Walk {
  steps: DiagnosisStep[];
  failure: DeliveryError | null;
}

const lastLine = (r: SmtpReply) => r.lines.at(-1) ?? r.text;
const kindOf = (code: number | null): FailureKind => (code !== null && code >= 500 ? 'permanent' : 'transient');
const NOT_ENCRYPTED =
  'the connection is not encrypted, so Postroom did not send the password: check "Using the STARTTLS command" (or use port 465), or allow a password over an unencrypted connection';


async function walk(s: DiagnoseSettings, sender: string | null, recipient: string | null, options: WalkOptions): Promise<Walk> {
  const where = `${s.smtpHost}:${s.smtpPort}`;
  const implicitTls = s.smtpPort === 465;
  const tlsOptions = { servername: net.isIP(s.smtpHost) ? undefined : s.smtpHost, minVersion: 'TLSv1.2' as const, ...(options.ca ? { ca: options.ca } : {}) };
  const steps: DiagnosisStep[] = [];
  let failure: DeliveryError | null = null;
  const pass = (name: StepName, detail: string, reply?: SmtpReply) => {
    steps.push({ step: name, ok: true, detail, ...(reply ? { reply: lastLine(reply) } : {}) });
  };
  /** Records the failed step and, for the route check, what it means (always the route's fault). */
  const fail = (name: StepName, detail: string, message: string, reply?: SmtpReply, kind: FailureKind = kindOf(reply?.code ?? null)): Walk => {
    steps.push({ step: name, ok: false, detail, ...(reply ? { reply: lastLine(reply) } : {}) });
    // Exchange Online's refusals come with the switches that fix them, as in a send.
    const advice = reply ? exchangeSmtpAdvice(lastLine(reply)) : null;
    failure = new DeliveryError(advice ? `${message} (${advice})` : message, kind, 'route', reply?.code ?? null);
    return { steps, failure };
  };

  let smtp: SmtpDialogue;
  try {
    smtp = await SmtpDialogue.open(s.smtpHost, s.smtpPort, { implicitTls, tls: tlsOptions, timeoutMs: options.timeoutMs ?? 15_000 });
  } catch (err) {
    const why = describe(err);
    const tlsFault = implicitTls && isTlsFault(err);
    return fail('connect', `cannot connect to ${where}: ${why}`, tlsFault ? `TLS with ${where} failed: ${why}` : `cannot reach ${where}: ${why}`, undefined, tlsFault ? 'permanent' : 'transient');
  }
  try {
    const greeting = await smtp.read();
    if (greeting.code !== 220) return fail('connect', `${where} refused the connection`, `${where} refused the connection: ${lastLine(greeting)}`, greeting);
    pass('connect', `connected to ${where}${implicitTls ? ` with ${smtp.secureProtocol}` : ''}`, greeting);
    let ehlo = await smtp.command(`EHLO ${os.hostname()}`);
    if (ehlo.code !== 250) return fail('connect', `${where} refused EHLO`, `${where} refused EHLO: ${lastLine(ehlo)}`, ehlo);
    if (!implicitTls) {
      if (s.startTls) {
        if (!/^250[- ]STARTTLS\b/im.test(ehlo.text)) {
          const msg = `STARTTLS not offered by ${where}; nothing was sent in plain text`;
          return fail('starttls', `STARTTLS not offered by ${where}: nothing will be sent (uncheck "Using the STARTTLS command" only for a relay on a trusted network)`, msg, undefined, 'permanent');
        }
        const ready = await smtp.command('STARTTLS');
        if (ready.code !== 220) return fail('starttls', `${where} refused STARTTLS`, `STARTTLS refused by ${where}: ${lastLine(ready)}; nothing was sent in plain text`, ready);
        try {
          await smtp.upgrade(tlsOptions);
        } catch (err) {
          return fail('starttls', `TLS with ${where} failed: ${describe(err)}`, `TLS with ${where} failed: ${describe(err)}`, undefined, 'permanent');
        }
        pass('starttls', `connection encrypted with ${smtp.secureProtocol}, certificate verified`);
        ehlo = await smtp.command(`EHLO ${os.hostname()}`);
      } else {
        pass('starttls', 'STARTTLS not used ("Using the STARTTLS command" is unchecked): the connection is in plain text');
      }
    }
    const encrypted = smtp.secureProtocol !== null;
    const offersAuth = /^250[- ]AUTH\b/im.test(ehlo.text);
    const user = options.xoauth2?.user ?? s.smtpUser;
    if (user && !encrypted && !s.allowPlaintextAuth) return fail('auth', NOT_ENCRYPTED, `the connection to ${where} is not encrypted, so Postroom did not send the password`, undefined, 'permanent');
    if (user && !offersAuth) {
      const hint = s.startTls || implicitTls ? '' : ': many servers offer AUTH only after STARTTLS; check "Using the STARTTLS command"';
      return fail('auth', `${where} offers no AUTH on this connection${hint}`, `${where} offers no AUTH on this connection, so nothing was sent (Postroom never sends without signing in as ${user})${hint}`, undefined, 'permanent');
    }
    if (options.xoauth2) {
      const { token } = options.xoauth2;
      if (!/^250[- ]AUTH\b.*\bXOAUTH2\b/im.test(ehlo.text)) {
        return fail('auth', `${where} does not offer AUTH XOAUTH2 (is SMTP AUTH enabled for the mailbox?)`, `${where} does not offer AUTH XOAUTH2`, undefined, 'permanent');
      }
      const reply = await smtp.command(`AUTH XOAUTH2 ${Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64')}`);
      // A 334 carries the error as base64 JSON; an empty line ends it and the server answers 535.
      const final = reply.code === 334 ? await smtp.command('') : reply;
      if (final.code !== 235) {
        // The test is where an administrator looks first: a 535 says what Exchange usually lacks.
        const refused = `XOAUTH2 sign-in as ${user} failed${final.code === 535 ? `: ${options.xoauth2.refusedHelp ?? EXCHANGE_535_HELP}` : ''}`;
        return fail('auth', refused, `authentication with ${where} failed: ${lastLine(final)}`, final);
      }
      pass('auth', `signed in as ${user} with an OAuth token`, final);
    } else if (s.smtpUser) {
      const plain = /^250[- ]AUTH\b.*\bPLAIN\b/im.test(ehlo.text);
      const login = /^250[- ]AUTH\b.*\bLOGIN\b/im.test(ehlo.text);
      let reply: SmtpReply;
      if (plain) {
        reply = await smtp.command(`AUTH PLAIN ${Buffer.from(`\0${s.smtpUser}\0${s.smtpPassword}`).toString('base64')}`);
      } else if (login) {
        reply = await smtp.command('AUTH LOGIN');
        if (reply.code === 334) reply = await smtp.command(Buffer.from(s.smtpUser).toString('base64'));
        if (reply.code === 334) reply = await smtp.command(Buffer.from(s.smtpPassword).toString('base64'));
      } else {
        return fail('auth', `${where} offers no AUTH PLAIN or LOGIN on this connection`, `${where} offers neither AUTH PLAIN nor LOGIN: nothing was sent`, undefined, 'permanent');
      }
      if (reply.code !== 235) {
        const deferred = reply.code >= 400 && reply.code < 500;
        // Test connection shows Exchange Online's switches too (fail() adds them to the route's message).
        const advice = exchangeSmtpAdvice(lastLine(reply));
        const because = advice ? ` (${advice})` : '';
        return fail('auth', `authentication as ${s.smtpUser} failed${because}`, `authentication with ${where} ${deferred ? 'deferred' : 'failed'}: ${lastLine(reply)}`, reply);
      }
      pass('auth', `signed in as ${s.smtpUser}`, reply);
    } else {
      pass('auth', 'no SMTP user: the server is used without authentication');
    }

    // No address to try (no postmaster, a user name that is not an address): the check ends here.
    if (sender === null) return { steps, failure };
    const senderRefused = (reply: SmtpReply, at: string) =>
      fail(
        'sender',
        `the server refuses ${sender} as sender${at}`,
        isAuthRequired(reply.code, lastLine(reply))
          ? `${where} requires a signed-in or encrypted session at MAIL FROM: ${lastLine(reply)}`
          : `${where} refuses the postmaster ${sender} as sender${user ? ` for ${user}` : ''}: ${lastLine(reply)} (check that this login may send as the postmaster, or change "Mail postmaster")`,
        reply,
      );
    const mail = await smtp.command(`MAIL FROM:<${sender}>`);
    if (mail.code !== 250) return senderRefused(mail, '');
    // The route check asks for the sender itself as recipient: nothing is sent, but a server that
    // delays its sender checks to RCPT TO gives its answer.
    const rcpt = await smtp.command(`RCPT TO:<${recipient ?? sender}>`);
    if (rcpt.code >= 400 && isSenderRefusedAtRcpt(rcpt.text)) return senderRefused(rcpt, ' (it said so at RCPT TO)');
    pass('sender', `${sender} may send`, mail);
    if (recipient !== null) {
      const rcptOk = rcpt.code === 250 || rcpt.code === 251;
      steps.push({ step: 'recipient', ok: rcptOk, detail: rcptOk ? `${recipient} accepted (nothing was sent)` : `the server refuses ${recipient} as recipient`, reply: lastLine(rcpt) });
    }
    await smtp.command('RSET').catch(() => undefined);
    return { steps, failure };
  } catch (err) {
    const last = steps.at(-1)?.step;
    const next: StepName = !last ? 'connect' : last === 'connect' ? 'starttls' : last === 'starttls' ? 'auth' : last === 'auth' ? 'sender' : 'recipient';
    return fail(next, `${where}: ${describe(err)}`, `${where} (${next}): ${describe(err)}`, undefined, next === 'starttls' && isTlsFault(err) ? 'permanent' : 'transient');
  } finally {
    smtp.close();
  }
}

/** Test connection: every step with the server's reply; the test recipient is asked at RCPT TO. */
export async function diagnoseSmtp(s: DiagnoseSettings, sender: string, recipient: string, options: WalkOptions = {}): Promise<Diagnosis> {
  const { steps } = await walk(s, sender, recipient, options);
  return { ok: steps.every((x) => x.ok), route: `SMTP ${s.smtpHost}:${s.smtpPort}`, steps };
}

/**
 * The route check: throws what a failed step means for sending (always the route's fault). The
 * sender step is skipped when there is no sender address to try.
 */
export async function checkSmtpRoute(s: DiagnoseSettings, sender: string | null, options: WalkOptions = {}): Promise<void> {
  const { failure } = await walk(s, sender, null, options);
  if (failure) throw failure;
}

function isTlsFault(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return /certificate|self[- ]signed|ssl|tls|altnames|unable to verify|issuer/i.test(`${e.code ?? ''} ${e.message ?? ''}`);
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const m = e.message ?? String(err);
  if (e.code === 'ECONNREFUSED') return 'connection refused (nothing listens on that port, or a firewall refuses it)';
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'the host name was not found in DNS';
  if (e.code === 'ECONNRESET') return 'the server (or something on the way) reset the connection';
  if (UNTRUSTED.test(m)) return `${m} (${UNTRUSTED_SMTP_HINT})`;
  if (/altnames|hostname/i.test(m)) return `${m} (the certificate does not name this host: use the host name it was issued for)`;
  return m;
}
