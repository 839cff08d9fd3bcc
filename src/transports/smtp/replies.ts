// The rules for reading an SMTP server's reply: its code, its enhanced code (RFC 3463) and the
// handful of refusals that mean something for the route rather than for one e-mail.
import type { FailureKind, RejectedRecipient } from '../route.js';

/** First line of a reply, without trailing space: what an administrator reads in the outbox. */
export const firstLine = (s: string): string => s.split(/\r?\n/)[0]?.trim() ?? '';

/** RFC 5321 §4.2.1: 5yz is a permanent refusal; 4yz (and no reply at all) may pass later. */
export const isPermanent = (code: number | null): boolean => code !== null && code >= 500;
export const kindOf = (code: number | null): FailureKind => (isPermanent(code) ? 'permanent' : 'transient');

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
 * 5.2.252 SendAsDenied, or a bare 550/553/554.
 */
export function isSenderRefusal(code: number | null, reply: string): boolean {
  if (code === null || code === 421 || code === 552) return false;
  const enh = enhancedCode(reply);
  if (enh) return /^[45]\.[17]\./.test(enh) || enh === '5.2.252';
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
export const isRelayDenied = (r: RejectedRecipient): boolean =>
  isPermanent(r.code) && /relay access denied|relaying denied|unable to relay|relay not permitted/i.test(r.reply);

/** Postfix (smtpd_delay_reject, its default) answers a refused sender at RCPT TO, with these words. */
export const isSenderRefusedAtRcpt = (reply: string): boolean => /sender address rejected/i.test(reply);

/** A recipient's refusal as nodemailer reports it (an error with recipient, responseCode, response). */
export function toRejected(raw: unknown): RejectedRecipient {
  const e = raw as { recipient?: string; responseCode?: number; response?: string; message?: string };
  return { recipient: e.recipient ?? '', code: e.responseCode ?? null, reply: e.response ? firstLine(e.response) : (e.message ?? '') };
}
