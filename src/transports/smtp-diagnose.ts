// "Test connection" for the SMTP route: connect, upgrade, authenticate, then ask whether the
// sender may send (MAIL FROM) to a recipient (RCPT TO), and reset without sending anything.
import net from 'node:net';
import os from 'node:os';
import type { EmailSettings } from '../settings/index.js';
import { SmtpDialogue, type SmtpReply } from './smtp-dialogue.js';
import { EXCHANGE_535_HELP, type RouteOptions } from './smtp.js';
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

const firstLine = (r: SmtpReply) => r.lines.at(-1) ?? r.text;

export async function diagnoseSmtp(
  s: Pick<EmailSettings, 'smtpHost' | 'smtpPort' | 'smtpUser' | 'smtpPassword' | 'startTls'>,
  sender: string,
  recipient: string,
  options: RouteOptions & { timeoutMs?: number; xoauth2?: { user: string; token: string } } = {},
): Promise<Diagnosis> {
  const where = `${s.smtpHost}:${s.smtpPort}`;
  const implicitTls = s.smtpPort === 465;
  const tlsOptions = { servername: net.isIP(s.smtpHost) ? undefined : s.smtpHost, minVersion: 'TLSv1.2' as const, ...(options.ca ? { ca: options.ca } : {}) };
  const steps: DiagnosisStep[] = [];
  const done = (ok: boolean) => ({ ok, route: `SMTP ${where}`, steps });
  const step = (name: StepName, ok: boolean, detail: string, reply?: SmtpReply) => {
    steps.push({ step: name, ok, detail, ...(reply ? { reply: firstLine(reply) } : {}) });
    return ok;
  };

  let smtp: SmtpDialogue;
  try {
    smtp = await SmtpDialogue.open(s.smtpHost, s.smtpPort, { implicitTls, tls: tlsOptions, timeoutMs: options.timeoutMs ?? 15_000 });
  } catch (err) {
    step('connect', false, `cannot connect to ${where}: ${describe(err)}`);
    return done(false);
  }
  try {
    const greeting = await smtp.read();
    if (!step('connect', greeting.code === 220, `connected to ${where}${implicitTls ? ` with ${smtp.secureProtocol}` : ''}`, greeting)) return done(false);
    let ehlo = await smtp.command(`EHLO ${os.hostname()}`);
    if (ehlo.code !== 250) {
      step('connect', false, `${where} refused EHLO`, ehlo);
      return done(false);
    }
    if (!implicitTls) {
      if (s.startTls) {
        if (!/^250[- ]STARTTLS\b/im.test(ehlo.text)) {
          step('starttls', false, `STARTTLS not offered by ${where}: nothing will be sent (uncheck "Using the STARTTLS command" only for a relay on a trusted network)`);
          return done(false);
        }
        const ready = await smtp.command('STARTTLS');
        if (ready.code !== 220) {
          step('starttls', false, `${where} refused STARTTLS`, ready);
          return done(false);
        }
        try {
          await smtp.upgrade(tlsOptions);
        } catch (err) {
          step('starttls', false, `TLS with ${where} failed: ${describe(err)}`);
          return done(false);
        }
        step('starttls', true, `connection encrypted with ${smtp.secureProtocol}, certificate verified`);
        ehlo = await smtp.command(`EHLO ${os.hostname()}`);
      } else {
        step('starttls', true, 'STARTTLS not used ("Using the STARTTLS command" is unchecked): the connection is in plain text');
      }
    }
    if (options.xoauth2) {
      const { user, token } = options.xoauth2;
      if (!/^250[- ]AUTH\b.*\bXOAUTH2\b/im.test(ehlo.text)) {
        step('auth', false, `${where} does not offer AUTH XOAUTH2 (is SMTP AUTH enabled for the mailbox?)`);
        return done(false);
      }
      const reply = await smtp.command(`AUTH XOAUTH2 ${Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64')}`);
      // A 334 carries the error as base64 JSON; an empty line ends it and the server answers 535.
      const final = reply.code === 334 ? await smtp.command('') : reply;
      // The test is where an administrator looks first: a 535 says what Exchange usually lacks.
      const refused = `XOAUTH2 sign-in as ${user} failed${final.code === 535 ? `: ${EXCHANGE_535_HELP}` : ''}`;
      if (!step('auth', final.code === 235, final.code === 235 ? `signed in as ${user} with an OAuth token` : refused, final)) return done(false);
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
        step('auth', false, `${where} offers no AUTH PLAIN or LOGIN on this connection${s.startTls ? '' : ' (many servers offer it only after STARTTLS)'}`);
        return done(false);
      }
      if (!step('auth', reply.code === 235, reply.code === 235 ? `signed in as ${s.smtpUser}` : `authentication as ${s.smtpUser} failed`, reply)) return done(false);
    } else {
      step('auth', true, 'no SMTP user: the server is used without authentication');
    }
    const mail = await smtp.command(`MAIL FROM:<${sender}>`);
    if (!step('sender', mail.code === 250, mail.code === 250 ? `${sender} may send` : `the server refuses ${sender} as sender`, mail)) return done(false);
    const rcpt = await smtp.command(`RCPT TO:<${recipient}>`);
    const rcptOk = rcpt.code === 250 || rcpt.code === 251;
    step('recipient', rcptOk, rcptOk ? `${recipient} accepted (nothing was sent)` : `the server refuses ${recipient} as recipient`, rcpt);
    await smtp.command('RSET').catch(() => undefined);
    return done(steps.every((x) => x.ok));
  } catch (err) {
    const last = steps.at(-1)?.step;
    const next: StepName = !last ? 'connect' : last === 'connect' ? 'starttls' : last === 'starttls' ? 'auth' : last === 'auth' ? 'sender' : 'recipient';
    step(next, false, `${where}: ${describe(err)}`);
    return done(false);
  } finally {
    smtp.close();
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const m = e.message ?? String(err);
  if (e.code === 'ECONNREFUSED') return 'connection refused (is the host and port right, and the server running?)';
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'host name not found in DNS';
  if (UNTRUSTED.test(m)) return `${m} (${UNTRUSTED_SMTP_HINT})`;
  return m;
}
