// What an SMTP failure means, decided by what it would do to the next e-mail (route or message)
// and by where the session was (nothing sent yet, the message cut off, or sent with no reply).
import { DeliveryError, type RejectedRecipient } from './route.js';
import { classifySmtpError } from './smtp-errors.js';
import { SignInRefused, SmtpStageError } from './smtp-session.js';

export interface FailureContext {
  /** host:port */
  where: string;
  /** The envelope sender of this transaction. */
  sender: string;
  /** The sender is the postmaster: a refusal of it at MAIL FROM meets every e-mail. */
  senderIsPostmaster: boolean;
  /** Who the route signs in as, for the message; null without AUTH. */
  user: string | null;
  /** STARTTLS is off on a port without implicit TLS. */
  plaintext: boolean;
}

interface SmtpFailure extends Error {
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  rejectedErrors?: SmtpFailure[];
  recipient?: string;
  timeoutType?: string;
}

const firstLine = (s: string) => s.split(/\r?\n/)[0]?.trim() ?? '';
/** RFC 3463 enhanced status code of a reply ("5.7.1"), if it has one. */
export const enhancedCode = (reply: string): string | null => /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply)?.[1] ?? null;

/**
 * A reply that says the server wants a signed-in or encrypted session first: 530 (RFC 4954 §6),
 * 5.7.0 / 4.7.0 with that meaning, and Exchange's 5.7.57 "Client was not authenticated".
 */
export function isAuthRequired(code: number | null, reply: string): boolean {
  if (code === 530) return true;
  const enh = enhancedCode(reply);
  if (enh === '5.7.57') return true;
  return (enh === '5.7.0' || enh === '4.7.0') && /auth|starttls|\btls\b|encrypt|secur/i.test(reply);
}

/**
 * A refusal of the sender at MAIL FROM that is about the sender itself (who may send as whom, or
 * the address), not about this message's size: 5.7.x policy, 5.1.x address status, Exchange's
 * 5.2.252 SendAsDenied, or a bare 553 "mailbox name not allowed".
 */
export function isSenderRefusal(code: number | null, reply: string): boolean {
  if (code === null || code === 421 || code === 552) return false;
  const enh = enhancedCode(reply);
  if (enh) return /^[45]\.[17]\./.test(enh) || /^5\.2\.252$/.test(enh);
  return code === 553 || code === 550 || code === 554;
}

/**
 * "Too many recipients" for one transaction: 452 (RFC 5321 §4.5.3.1.10), the 552 of older servers
 * that the RFC says to treat the same way, or a 4.5.3 / 5.5.3 enhanced code.
 */
export function isTooManyRecipients(code: number | null, reply: string): boolean {
  const enh = enhancedCode(reply);
  if (enh === '4.5.3' || enh === '5.5.3') return true;
  return (code === 452 || code === 552) && /too many recipients/i.test(reply);
}

/** Postfix's "Relay access denied", sendmail's "Relaying denied", Exchange's "Unable to relay". */
const isRelayDenied = (r: RejectedRecipient) =>
  r.code !== null && r.code >= 500 && /relay access denied|relaying denied|unable to relay|relay not permitted/i.test(r.reply);

/** Postfix (smtpd_delay_reject, its default) answers a refused sender at RCPT TO, with these words. */
export const isSenderRefusedAtRcpt = (reply: string) => /sender address rejected/i.test(reply);

function networkWhat(e: SmtpFailure): string {
  const sys = e.originalCode ?? '';
  if (e.code === 'EDNS' || sys === 'ENOTFOUND' || sys === 'EAI_AGAIN') return 'the host name was not found in DNS';
  if (sys === 'ECONNREFUSED') return 'connection refused (nothing listens on that port, or a firewall refuses it)';
  if (e.timeoutType === 'CONNECT_TIMEOUT') return 'no answer to the connection attempt (a wrong host, or a firewall dropping it)';
  if (e.timeoutType === 'GREETING_TIMEOUT') return 'connected, but the server never sent its greeting';
  if (e.timeoutType === 'UPGRADE_TIMEOUT') return 'the TLS handshake never finished';
  if (e.code === 'ETIMEDOUT') return 'the server stopped answering';
  if (sys === 'ECONNRESET' || /ECONNRESET/.test(e.message)) return 'the server (or something on the way) reset the connection';
  if (sys === 'EPIPE' || /closed unexpectedly|EPIPE/i.test(e.message)) return 'the server closed the connection';
  return e.message;
}

const isNetwork = (e: SmtpFailure) => !e.responseCode && (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'ETIMEDOUT' || e.code === 'EDNS');

export function classifyStaged(failure: unknown, ctx: FailureContext): DeliveryError {
  if (!(failure instanceof SmtpStageError)) return classifySmtpError(failure, ctx.where);
  const { stage } = failure;
  const e = (failure.cause instanceof Error ? failure.cause : new Error(String(failure.cause))) as SmtpFailure;
  const { where } = ctx;
  const reply = e.response ? firstLine(e.response) : '';
  const code = e.responseCode ?? null;

  if (stage === 'auth') {
    if (e instanceof SignInRefused) {
      const msg = e.message;
      if (/not encrypted/.test(msg)) {
        return new DeliveryError(
          `the connection to ${where} is not encrypted, so Postroom did not send the password: check "Using the STARTTLS command" (or use port 465), or allow a password over an unencrypted connection`,
          'permanent',
          'route',
        );
      }
      if (/no AUTH/.test(msg)) {
        return new DeliveryError(
          `${where} offers no AUTH on this connection, so nothing was sent (Postroom never sends without signing in as ${ctx.user ?? 'the SMTP user'})` +
            (ctx.plaintext ? ': many servers offer AUTH only after STARTTLS; check "Using the STARTTLS command"' : ''),
          'permanent',
          'route',
        );
      }
      return new DeliveryError(`${where} ${msg}: nothing was sent`, 'permanent', 'route');
    }
    if (isNetwork(e)) return new DeliveryError(`${networkWhat(e)} (${where}) while signing in: nothing was sent`, 'transient', 'route');
    const base = classifySmtpError(Object.assign(e, { code: e.code ?? 'EAUTH' }), where);
    return new DeliveryError(base.message, base.kind, 'route', base.replyCode);
  }

  if (code !== null && isAuthRequired(code, reply)) {
    const step = e.command && e.command !== 'CONN' ? ` at ${e.command}` : '';
    return new DeliveryError(`${where} requires a signed-in or encrypted session${step}: ${reply}`, 'permanent', 'route', code);
  }

  if (stage === 'connect') {
    if (isNetwork(e)) return new DeliveryError(`cannot reach ${where}: ${networkWhat(e)}`, 'transient', 'route');
    const base = classifySmtpError(e, where);
    const msg = code !== null && !e.command?.startsWith('STARTTLS') && e.code !== 'ETLS' ? `${where} refused the connection: ${reply}` : base.message;
    return new DeliveryError(msg, code !== null && code >= 500 ? 'permanent' : base.kind, 'route', base.replyCode);
  }

  if (stage === 'envelope') {
    if (e.command === 'MAIL FROM' && code !== null && ctx.senderIsPostmaster && isSenderRefusal(code, reply)) {
      return new DeliveryError(
        `${where} refuses the postmaster ${ctx.sender} as sender${ctx.user ? ` for ${ctx.user}` : ''}: ${reply} (check that this login may send as the postmaster, or change "Mail postmaster")`,
        code >= 500 ? 'permanent' : 'transient',
        'route',
        code,
      );
    }
    if (e.code === 'EENVELOPE' && e.rejectedErrors?.length) {
      const base = classifySmtpError(e, where);
      const first = base.rejected[0];
      if (ctx.senderIsPostmaster && first && base.rejected.every((r) => r.code !== null && isSenderRefusedAtRcpt(r.reply))) {
        return new DeliveryError(
          `${where} refuses the postmaster ${ctx.sender} as sender${ctx.user ? ` for ${ctx.user}` : ''}: ${first.reply} (check that this login may send as the postmaster, or change "Mail postmaster")`,
          (first.code ?? 500) >= 500 ? 'permanent' : 'transient',
          'route',
          first.code,
        );
      }
      if (base.rejected.every(isRelayDenied)) {
        return new DeliveryError(
          `${where} refuses to relay for this connection: ${base.rejected[0]?.reply} (sign in with an SMTP user, or allow this host on the relay)`,
          'permanent',
          'route',
          base.replyCode,
          base.rejected,
        );
      }
      return base;
    }
    if (isNetwork(e)) {
      const during = e.command && e.command !== 'CONN' ? ` during ${e.command}` : '';
      return new DeliveryError(`${networkWhat(e)} (${where}${during}) before the message was sent: nothing was delivered`, 'transient', 'message').lostConnection();
    }
    if (e.code === 'EMESSAGE' && /larger than allowed/.test(e.message)) {
      return new DeliveryError(`${where}: ${e.message} (the server's SIZE limit)`, 'permanent', 'message');
    }
    return classifySmtpError(e, where);
  }

  if (stage === 'data' && isNetwork(e)) {
    return new DeliveryError(`${networkWhat(e)} (${where}) while the message was being sent: it was not delivered`, 'transient', 'message').lostConnection();
  }
  if (stage === 'awaiting-reply' && (isNetwork(e) || !code)) {
    const ms = failure.waitedMs ?? 0;
    const waited = ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
    const what = e.code === 'ETIMEDOUT' ? `no reply from ${where} after the message was sent (${waited} s)` : `${networkWhat(e)} (${where}) after the message was sent, before the server answered`;
    const failureOf = new DeliveryError(`${what}: it may or may not have been delivered`, 'transient', 'message');
    return isNetwork(e) ? failureOf.lostConnection() : failureOf;
  }
  return classifySmtpError(e, where);
}

/** nodemailer's per-recipient refusal as Postroom records it. */
export function toRejected(raw: unknown): RejectedRecipient {
  const e = raw as SmtpFailure;
  return { recipient: e.recipient ?? '', code: e.responseCode ?? null, reply: e.response ? firstLine(e.response) : e.message };
}
