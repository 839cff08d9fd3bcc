// Reads a nodemailer failure and says what it means for the e-mail: transient (4xx, network,
// timeouts) or permanent (5xx, refused recipients, bad credentials), with the server's reply.
import { DeliveryError, type RejectedRecipient } from './route.js';
import { exchangeSmtpAdvice } from './exchange-advice.js';
import { UNTRUSTED, UNTRUSTED_SMTP_HINT } from './trust.js';

/** " (what to do)" for Exchange Online replies we can explain, else nothing. */
const advised = (reply: string | null) => {
  const advice = reply ? exchangeSmtpAdvice(reply) : null;
  return advice ? ` (${advice})` : '';
};

interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  rejectedErrors?: NodemailerError[];
  recipient?: string;
}

// Node's certificate verification failures: a configuration fault, no retry will fix them.
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_REVOKED',
]);

const NETWORK_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']);

/** First line of a reply, without trailing space: what an administrator reads in the outbox. */
const firstLine = (s: string) => s.split(/\r?\n/)[0]?.trim() ?? '';

export function classifySmtpError(raw: unknown, where: string): DeliveryError {
  const err = (raw instanceof Error ? raw : new Error(String(raw))) as NodemailerError;
  const code = err.responseCode ?? null;
  const reply = err.response ? firstLine(err.response) : null;

  if (err.originalCode && CERTIFICATE_CODES.has(err.originalCode)) {
    return new DeliveryError(`TLS with ${where} failed: ${tlsReason(err.message)}`, 'permanent', 'route', null);
  }
  if (err.code === 'ETLS') {
    if (err.command === 'STARTTLS' && reply) {
      return new DeliveryError(`STARTTLS not offered by ${where} (server replied "${reply}"); nothing was sent in plain text`, 'permanent', 'route', code);
    }
    return new DeliveryError(`TLS with ${where} failed: ${tlsReason(err.message)}`, 'permanent', 'route', code);
  }
  if (err.code === 'EAUTH' || err.command === 'AUTH PLAIN' || err.command === 'AUTH LOGIN') {
    if (code !== null && code < 500) return new DeliveryError(`authentication with ${where} deferred: ${reply}`, 'transient', 'route', code);
    return new DeliveryError(`authentication with ${where} failed: ${reply ?? err.message}${advised(reply)}`, 'permanent', 'route', code);
  }
  if (err.code === 'ENOAUTH') {
    return new DeliveryError(`${where} requires authentication but no SMTP password is set`, 'permanent', 'route', code);
  }
  if (err.code === 'EENVELOPE' && err.rejectedErrors?.length) {
    const rejected = err.rejectedErrors.map(toRejected);
    // All refused. Only when every refusal was a 4xx can a later attempt succeed.
    const allDeferred = rejected.every((r) => r.code !== null && r.code < 500);
    const summary = rejected.map((r) => `${r.recipient}: ${r.reply}`).join('; ');
    return new DeliveryError(`every recipient was refused: ${summary}`, allDeferred ? 'transient' : 'permanent', 'message', code, rejected);
  }
  if (code !== null) {
    const text = `${err.command ? `${err.command}: ` : ''}${reply ?? err.message}`;
    // 421: the server is closing the connection for everyone; stop this campaign.
    if (code === 421) return new DeliveryError(text, 'transient', 'route', code);
    if (code >= 400 && code < 500) return new DeliveryError(text, 'transient', 'message', code);
    if (code >= 500) return new DeliveryError(`${text}${advised(reply)}`, 'permanent', 'message', code);
  }
  if (err.code && NETWORK_CODES.has(err.code)) {
    // A reset after the session began (often mid-DATA) is not the same news as a server that
    // cannot be reached at all: the administrator looks at the server's logs, not the network.
    const lost = /ECONNRESET|EPIPE|closed unexpectedly/i.test(err.message) && err.code !== 'ECONNREFUSED';
    if (lost) {
      // This e-mail's own transfer broke: it may or may not have arrived, so it is charged an
      // attempt and retried; the next e-mail opens a new connection (no reason to stop the route).
      const during = err.command && err.command !== 'CONN' ? ` during ${err.command}` : '';
      return new DeliveryError(`the connection to ${where} was lost${during}: ${err.message}`, 'transient', 'message', null);
    }
    return new DeliveryError(`cannot reach ${where}: ${err.message}`, 'transient', 'route', null);
  }
  // Unknown: a retry within the window is the safe side; nothing is lost by trying again.
  return new DeliveryError(`${where}: ${err.message}`, 'transient', 'message', code);
}

function toRejected(e: NodemailerError): RejectedRecipient {
  return { recipient: e.recipient ?? '', code: e.responseCode ?? null, reply: e.response ? firstLine(e.response) : e.message };
}

export function rejectedFromInfo(errors: unknown): RejectedRecipient[] {
  return Array.isArray(errors) ? (errors as NodemailerError[]).map(toRejected) : [];
}

function tlsReason(message: string): string {
  const m = message.replace(/^Error initiating TLS - /, '');
  if (UNTRUSTED.test(m)) return `${m} (${UNTRUSTED_SMTP_HINT})`;
  if (/altnames|hostname/i.test(m)) return `${m} (the certificate does not name this host: use the host name it was issued for)`;
  return m;
}
