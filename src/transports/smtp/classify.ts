// The one reading of an SMTP failure, for sending, the route check and Test connection alike: what
// it would do to the next e-mail (route or message), whether a later try may pass, and its words.
import { DeliveryError, type RejectedRecipient } from '../route.js';
import { UNTRUSTED } from '../trust.js';
import { say, type Phrase } from '../../i18n/index.js';
import { firstLine, isAuthRequired, isPermanent, isRelayDenied, isSenderRefusal, isSenderRefusedAtRcpt, kindOf, toRejected } from './replies.js';
import { MAX_REPLY_CHARS, SignInRefused, SmtpStageError } from './session.js';
import { FAILURES, HINTS, NETWORK } from './words.js';

export interface FailureContext {
  /** host:port */
  where: string;
  /** The envelope sender of this transaction. */
  sender: string;
  /** The sender is the postmaster: a refusal of it meets every e-mail. */
  senderIsPostmaster: boolean;
  /** Who the route signs in as; null without AUTH. */
  user: string | null;
  /** STARTTLS is off on a port without implicit TLS. */
  plaintext: boolean;
  /** Signing in with XOAUTH2: what the provider's 535 usually means. */
  oauthHelp: Phrase | null;
}

/** nodemailer's failure fields, as far as this reading needs them. */
interface SmtpFailure extends Error {
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  rejectedErrors?: unknown[];
  timeoutType?: string;
}

// Node's certificate verification failures: a configuration fault, no retry will fix them.
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_REVOKED',
]);

/** Exchange Online's refusals we can explain (its "Enable or disable SMTP AUTH" and NDR 5.7.139 / 5.2.252 pages). */
export function exchangeAdvice(reply: string): Phrase | null {
  if (/\b5\.7\.139\b/.test(reply)) return HINTS.exchangeAuthDisabled;
  if (/\b5\.2\.252\b/.test(reply) || /SendAsDenied/i.test(reply)) return HINTS.exchangeSendAs;
  return null;
}

/** nodemailer ended the session over a reply longer than MAX_REPLY_CHARS. */
const isReplyTooLarge = (e: SmtpFailure) => /exceeds maximum allowed size/.test(e.message);

const isNetwork = (e: SmtpFailure) =>
  !e.responseCode && (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'ETIMEDOUT' || e.code === 'EDNS' || isReplyTooLarge(e));

function networkWhat(e: SmtpFailure): string {
  const sys = e.originalCode ?? '';
  if (isReplyTooLarge(e)) return say(NETWORK.replyTooLarge, { size: MAX_REPLY_CHARS });
  if (e.code === 'EDNS' || sys === 'ENOTFOUND' || sys === 'EAI_AGAIN') return say(NETWORK.notInDns);
  if (sys === 'ECONNREFUSED' || /ECONNREFUSED/.test(e.message)) return say(NETWORK.refused);
  if (e.timeoutType === 'CONNECT_TIMEOUT') return say(NETWORK.noAnswer);
  if (e.timeoutType === 'GREETING_TIMEOUT') return say(NETWORK.noGreeting);
  if (e.timeoutType === 'UPGRADE_TIMEOUT') return say(NETWORK.noHandshake);
  if (e.code === 'ETIMEDOUT') return say(NETWORK.silent);
  if (sys === 'ECONNRESET' || /ECONNRESET/.test(e.message)) return say(NETWORK.reset);
  if (sys === 'EPIPE' || /closed unexpectedly|EPIPE|closed the connection/i.test(e.message)) return say(NETWORK.closed);
  return e.message;
}

/** A TLS failure: Node's words, and the setting that fixes it when we know it. */
function tlsFailure(where: string, message: string): DeliveryError {
  const reason = message.replace(/^Error initiating TLS - /, '');
  const hint = UNTRUSTED.test(reason) ? HINTS.untrustedCertificate : /altnames|hostname/i.test(reason) ? HINTS.wrongHostName : null;
  const text = hint ? say(FAILURES.tlsFailedHint, { where, tls: reason, hint: say(hint) }) : say(FAILURES.tlsFailed, { where, tls: reason });
  return new DeliveryError(text, 'permanent', 'route');
}

function signInRefusal(e: SignInRefused, ctx: FailureContext): DeliveryError {
  const { where } = ctx;
  const offered = e.offered.join(' ') || '(none)';
  const text =
    e.reason === 'not-encrypted'
      ? say(FAILURES.notEncrypted, { where })
      : e.reason === 'no-auth'
        ? ctx.plaintext
          ? say(FAILURES.noAuthOfferedHint, { where, user: ctx.user ?? '', hint: say(HINTS.authAfterStartTls) })
          : say(FAILURES.noAuthOffered, { where, user: ctx.user ?? '' })
        : e.reason === 'no-xoauth2'
          ? say(FAILURES.noXoauth2, { where, offered })
          : say(FAILURES.noPlainOrLogin, { where, offered });
  return new DeliveryError(text, 'permanent', 'route');
}

function authFailure(e: SmtpFailure, ctx: FailureContext): DeliveryError {
  const { where } = ctx;
  const code = e.responseCode ?? null;
  const reply = e.response ? firstLine(e.response) : e.message;
  if (isNetwork(e)) return new DeliveryError(say(FAILURES.lostSigningIn, { why: networkWhat(e), where }), 'transient', 'route');
  const user = ctx.user ?? '';
  if (code !== null && !isPermanent(code)) return new DeliveryError(say(FAILURES.authDeferred, { user, where, reply }), 'transient', 'route', code);
  if (code === 535 && ctx.oauthHelp) {
    return new DeliveryError(say(FAILURES.oauthRefused, { where, reply, user, help: say(ctx.oauthHelp) }), 'permanent', 'route', code);
  }
  const advice = exchangeAdvice(reply);
  const text = advice ? say(FAILURES.authFailedAdvice, { user, where, reply, advice: say(advice) }) : say(FAILURES.authFailed, { user, where, reply });
  return new DeliveryError(text, 'permanent', 'route', code);
}

const postmasterRefused = (ctx: FailureContext, reply: string, code: number | null, rejected: RejectedRecipient[] = []) =>
  new DeliveryError(
    say(FAILURES.postmasterRefused, { where: ctx.where, sender: ctx.sender, forUser: ctx.user ? say(FAILURES.forUser, { user: ctx.user }) : '', reply }),
    kindOf(code),
    'route',
    code,
    rejected,
  );

/** Recipients refused at RCPT TO, every one of them: the postmaster, the relay, or each for itself. */
function everyoneRefused(rejected: RejectedRecipient[], ctx: FailureContext, code: number | null): DeliveryError {
  const first = rejected[0];
  if (ctx.senderIsPostmaster && first && rejected.every((r) => r.code !== null && isSenderRefusedAtRcpt(r.reply))) {
    return postmasterRefused(ctx, first.reply, first.code ?? 500);
  }
  if (first && rejected.every(isRelayDenied)) {
    return new DeliveryError(say(FAILURES.relayDenied, { where: ctx.where, reply: first.reply }), 'permanent', 'route', code, rejected);
  }
  const summary = rejected.map((r) => `${r.recipient}: ${r.reply}`).join('; ');
  // Only when every refusal was a 4xx can a later attempt succeed.
  const kind = rejected.every((r) => r.code !== null && !isPermanent(r.code)) ? 'transient' : 'permanent';
  return new DeliveryError(say(FAILURES.everyRecipientRefused, { summary }), kind, 'message', code, rejected);
}

/** The server answered a command with a refusal no rule above knows: this message's, unless 421. */
function serverSaid(e: SmtpFailure, ctx: FailureContext, code: number): DeliveryError {
  const reply = e.response ? firstLine(e.response) : e.message;
  const values = { where: ctx.where, command: e.command || 'DATA', reply };
  // 421: the server is closing the connection for everyone; stop this campaign.
  if (code === 421) return new DeliveryError(say(FAILURES.serverSaid, values), 'transient', 'route', code);
  const advice = isPermanent(code) ? exchangeAdvice(reply) : null;
  const text = advice ? say(FAILURES.serverSaidAdvice, { ...values, advice: say(advice) }) : say(FAILURES.serverSaid, values);
  return new DeliveryError(text, kindOf(code), 'message', code);
}

export function classify(failure: unknown, ctx: FailureContext): DeliveryError {
  if (failure instanceof DeliveryError) return failure;
  const staged = failure instanceof SmtpStageError ? failure : null;
  const raw = staged ? staged.cause : failure;
  const e = (raw instanceof Error ? raw : new Error(String(raw))) as SmtpFailure;
  const stage = staged?.stage ?? null;
  const { where } = ctx;
  const code = e.responseCode ?? null;
  const reply = e.response ? firstLine(e.response) : '';

  if (e instanceof SignInRefused) return signInRefusal(e, ctx);
  if (e.originalCode && CERTIFICATE_CODES.has(e.originalCode)) return tlsFailure(where, e.message);
  if (e.code === 'ETLS') {
    if (e.command === 'STARTTLS' && code !== null) {
      if (isPermanent(code)) return new DeliveryError(say(FAILURES.startTlsNotOffered, { where }), 'permanent', 'route', code);
      return new DeliveryError(say(FAILURES.startTlsRefused, { where, reply }), 'transient', 'route', code);
    }
    return tlsFailure(where, e.message);
  }
  if (stage === 'auth') return authFailure(e, ctx);
  if (code !== null && isAuthRequired(code, reply)) {
    const step = e.command && e.command !== 'CONN' ? say(FAILURES.atCommand, { command: e.command }) : '';
    return new DeliveryError(say(FAILURES.authRequired, { where, step, reply }), 'permanent', 'route', code);
  }

  if (stage === 'connect') {
    if (code === null) {
      // A plain-text connection to port 465, or a handshake that failed outright.
      if (/certificate|self[- ]signed|ssl|tls|altnames|unable to verify|issuer/i.test(`${e.originalCode ?? ''} ${e.message}`) && !isNetwork(e)) return tlsFailure(where, e.message);
      return new DeliveryError(say(FAILURES.cannotReach, { where, why: networkWhat(e) }), 'transient', 'route');
    }
    const phrase = e.command === 'EHLO' || e.command === 'HELO' ? FAILURES.refusedEhlo : FAILURES.refusedConnection;
    return new DeliveryError(say(phrase, { where, reply }), kindOf(code), 'route', code);
  }

  if (stage === 'envelope') {
    if (e.command === 'MAIL FROM' && code !== null && ctx.senderIsPostmaster && isSenderRefusal(code, reply)) return postmasterRefused(ctx, reply, code);
    if (e.rejectedErrors?.length) return everyoneRefused(e.rejectedErrors.map(toRejected), ctx, code);
    if (isNetwork(e)) {
      const during = e.command && e.command !== 'CONN' ? say(FAILURES.during, { command: e.command }) : '';
      return new DeliveryError(say(FAILURES.lostBeforeMessage, { why: networkWhat(e), where, during }), 'transient', 'message').lostConnection();
    }
    if (e.code === 'EMESSAGE' && /larger than allowed/.test(e.message)) {
      return new DeliveryError(say(FAILURES.tooLarge, { where, reason: e.message }), 'permanent', 'message');
    }
  }
  if (stage === 'data' && isNetwork(e)) {
    return new DeliveryError(say(FAILURES.lostDuringMessage, { why: networkWhat(e), where }), 'transient', 'message').lostConnection();
  }
  if (stage === 'awaiting-reply' && (isNetwork(e) || code === null)) {
    const ms = staged?.waitedMs ?? 0;
    const seconds = ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
    if (e.code === 'ETIMEDOUT') return new DeliveryError(say(FAILURES.noReplyAfterMessage, { where, seconds }), 'transient', 'message');
    const failureOf = new DeliveryError(say(FAILURES.lostAfterMessage, { why: networkWhat(e), where }), 'transient', 'message');
    return isNetwork(e) ? failureOf.lostConnection() : failureOf;
  }
  if (code !== null) return serverSaid(e, ctx, code);
  if (isNetwork(e)) return new DeliveryError(say(FAILURES.cannotReach, { where, why: networkWhat(e) }), 'transient', 'route');
  // Unknown: a retry within the window is the safe side; nothing is lost by trying again.
  return new DeliveryError(say(FAILURES.unexpected, { where, reason: e.message }), 'transient', 'message');
}
