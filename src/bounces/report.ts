// Reads one message of the postmaster's mailbox and tells whether it is a delivery report: an RFC
// 3464/6522 multipart/report, or failing that a plain-text non-delivery report of the kinds Exchange
// and Exim send; and what in it can name the e-mail it reports on. Auto-replies are never reports.
import crypto from 'node:crypto';
import PostalMime, { type Email, type Header } from 'postal-mime';
import { convert } from 'html-to-text';
import { DeliveryStatusError, enhancedStatus, readDeliveryStatus, type RecipientStatus } from './delivery-status.js';

/** What in a report can name the e-mail, in the order Postroom trusts it (see match.ts). */
export interface ReportEvidence {
  /** X-Postroom-Id values of the returned message (or quoted in the text). */
  postroomIds: string[];
  /** The returned message's Message-ID (or one quoted in the text). */
  messageIds: string[];
  /** The report's own In-Reply-To and References. */
  references: string[];
  /** Original-Envelope-Id: the ENVID given in MAIL FROM. */
  envelopeId: string | null;
}

export interface ParsedReport {
  format: 'dsn' | 'plain-text';
  /** Identifies the report itself: read twice, it changes nothing the second time. */
  fingerprint: string;
  subject: string;
  /** Who sent the report (its From). */
  reporter: string;
  /** When the report says it was written (its Date), else null. */
  reportedAt: number | null;
  reportingMta: string | null;
  evidence: ReportEvidence;
  /** DSN: every recipient group. Plain text: those X-Failed-Recipients names (more are found once the e-mail is known). */
  recipients: RecipientStatus[];
  /** The readable text, for a plain-text report's recipients (recipientsInText). */
  text: string;
}

export type Reading =
  | { kind: 'report'; report: ParsedReport }
  /** Ordinary mail, an auto-reply, a read receipt: left where it is, untouched. */
  | { kind: 'not-report'; why: string }
  /** Looks like a report but cannot be read (malformed, too large, too many recipients): left where it is, logged. */
  | { kind: 'unreadable'; why: string };

export interface ReadOptions {
  /** A report naming more recipients than this is refused whole. */
  maxRecipients: number;
  /** The message was cut at this many bytes (its head was fetched, not the whole). */
  truncatedAt?: number | null;
}

const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const RETURNED_TYPES = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers']);
// Plain-text reports have no structure to go by: who sent them and how they are titled.
const DAEMON_SENDER = /^(?:mailer-daemon|postmaster|microsoftexchange[0-9a-f]*|mail-?daemon|mailerdaemon)@/i;
const NDR_SUBJECT =
  /undeliver|undelivered|delivery (?:status notification|has failed|failure|failed)|mail delivery failed|returned mail|failure notice|non-?delivery|could not be delivered|couldn't be delivered|delivery notification/i;

/** Limits for a message of the mailbox, which anyone can send: depth, parts and headers bounded. */
const PARSE_LIMITS = {
  forceRfc822Attachments: true,
  attachmentEncoding: 'utf8',
  maxNestingDepth: 20,
  maxPartCount: 200,
  maxHeadersSize: 512 * 1024,
  maxRfc822NestingDepth: 0,
  maxForwardedAddresses: 1000,
} as const;

export async function readReport(raw: Buffer, options: ReadOptions): Promise<Reading> {
  let email: Email;
  try {
    email = await PostalMime.parse(raw, PARSE_LIMITS);
  } catch (err) {
    return { kind: 'unreadable', why: `its MIME cannot be parsed: ${err instanceof Error ? err.message : String(err)}` };
  }
  const header = (name: string) => email.headers.find((h: Header) => h.key === name)?.value ?? null;
  const contentType = (header('content-type') ?? 'text/plain').toLowerCase();
  const reportType = /report-type\s*=\s*"?([\w-]+)/.exec(contentType)?.[1] ?? null;
  const isMultipartReport = contentType.startsWith('multipart/report');
  if (isMultipartReport && reportType === 'disposition-notification') return { kind: 'not-report', why: 'a read receipt (disposition notification)' };

  const statusPart = email.attachments.find((a) => STATUS_TYPES.has(a.mimeType));
  const text = readableText(email);
  const base = {
    fingerprint: fingerprintOf(header('message-id'), raw),
    subject: email.subject ?? '',
    reporter: email.from && 'address' in email.from ? (email.from.address ?? '') : '',
    reportedAt: email.date ? Date.parse(email.date) || null : null,
    text,
  };
  const evidence = evidenceOf(email, text);

  if (statusPart) {
    try {
      const status = readDeliveryStatus(contentOf(statusPart.content), options.maxRecipients);
      return {
        kind: 'report',
        report: { ...base, format: 'dsn', reportingMta: status.reportingMta, evidence: { ...evidence, envelopeId: status.envelopeId }, recipients: status.recipients },
      };
    } catch (err) {
      if (!(err instanceof DeliveryStatusError)) throw err;
      // Too many recipients is refused whole; an empty or garbled part falls back to the text.
      if (/than an e-mail can have/.test(err.message)) return { kind: 'unreadable', why: `${err.message}${cutNote(options)}` };
    }
  }

  const failedRecipients = listOf(header('x-failed-recipients'));
  const from = base.reporter;
  const looksLikeNdr =
    header('x-ms-exchange-message-is-ndr') !== null ||
    failedRecipients.length > 0 ||
    isMultipartReport ||
    (DAEMON_SENDER.test(from) && NDR_SUBJECT.test(base.subject));
  if (!looksLikeNdr) {
    const auto = header('auto-submitted');
    const why = auto && auto.toLowerCase() !== 'no' ? `an automatic reply (Auto-Submitted: ${auto})` : 'not a delivery report';
    return { kind: 'not-report', why };
  }
  if (failedRecipients.length > options.maxRecipients) {
    return { kind: 'unreadable', why: `it names more failed recipients (${failedRecipients.length}) than an e-mail can have (${options.maxRecipients})` };
  }
  if (!enhancedStatus(text) && !/\b[45]\d\d[ -]/.test(text)) {
    return { kind: 'unreadable', why: `a non-delivery report with no readable status code${cutNote(options)}` };
  }
  return {
    kind: 'report',
    report: {
      ...base,
      format: 'plain-text',
      reportingMta: null,
      evidence,
      recipients: failedRecipients.length ? recipientsInText(text, failedRecipients) : [],
    },
  };
}

const cutNote = (o: ReadOptions) => (o.truncatedAt ? ` (only its first ${o.truncatedAt} bytes were read)` : '');

/**
 * A plain-text report's recipients: for each address, the status code nearest after one of its
 * mentions (Exchange: the address, then "Remote Server returned '550 5.1.10 …'"; Exim: the
 * address, then the server's reply a few lines down).
 */
export function recipientsInText(text: string, addresses: readonly string[]): RecipientStatus[] {
  const lower = text.toLowerCase();
  const found: RecipientStatus[] = [];
  for (const recipient of addresses) {
    const needle = recipient.toLowerCase();
    let best: { status: string; line: string } | null = null;
    for (let at = lower.indexOf(needle); at >= 0 && !best; at = lower.indexOf(needle, at + needle.length)) {
      const window = text.slice(at + needle.length, at + needle.length + 600);
      const status = enhancedStatus(window);
      if (!status) continue;
      const index = window.search(new RegExp(`${status.split('.').join('\\.')}|[45]\\d\\d[ -]`));
      const start = window.lastIndexOf('\n', Math.max(0, index)) + 1;
      const end = window.indexOf('\n', Math.max(0, index));
      best = { status, line: window.slice(start, end < 0 ? undefined : end).trim().slice(0, 500) };
    }
    if (!best) continue;
    const delayed = best.status.startsWith('4.') && /delayed|not (?:yet )?been delivered|still (?:trying|being retried)|will (?:retry|keep trying)/i.test(text);
    found.push({
      recipient,
      finalRecipient: recipient,
      action: delayed ? 'delayed' : 'failed',
      status: best.status,
      diagnostic: best.line.replace(/^['"]+|['"]+$/g, ''),
      remoteMta: null,
      lastAttemptAt: null,
      willRetryUntil: null,
    });
  }
  return found;
}

function evidenceOf(email: Email, text: string): ReportEvidence {
  const postroomIds: string[] = [];
  const messageIds: string[] = [];
  for (const part of email.attachments) {
    if (!RETURNED_TYPES.has(part.mimeType)) continue;
    const headers = headerBlock(contentOf(part.content));
    postroomIds.push(...headers.filter((h) => h.name === 'x-postroom-id').map((h) => h.value.trim()));
    messageIds.push(...headers.filter((h) => h.name === 'message-id').flatMap((h) => messageIdsIn(h.value)));
  }
  // Reports that quote the original's headers in their text (Exchange's "Original message headers").
  for (const m of text.matchAll(/^[ \t>]*X-Postroom-Id:[ \t]*(\S+)/gim)) postroomIds.push(m[1] ?? '');
  for (const m of text.matchAll(/^[ \t>]*Message-ID:[ \t]*(<[^>\s]+>)/gim)) messageIds.push(m[1] ?? '');
  const references = [...messageIdsIn(email.inReplyTo ?? ''), ...messageIdsIn(email.references ?? '')];
  return { postroomIds: unique(postroomIds.filter(Boolean)), messageIds: unique(messageIds), references: unique(references), envelopeId: null };
}

/** The header section of a returned message (or of a text/rfc822-headers part), unfolded. */
function headerBlock(text: string): { name: string; value: string }[] {
  const end = text.search(/\r?\n\r?\n/);
  const lines = (end < 0 ? text : text.slice(0, end)).split(/\r?\n/);
  const out: { name: string; value: string }[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && out.length) {
      const last = out[out.length - 1] as { name: string; value: string };
      last.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) out.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return out;
}

function readableText(email: Email): string {
  if (email.text && email.text.trim()) return email.text;
  if (email.html) return convert(email.html, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] });
  return '';
}

function messageIdsIn(text: string): string[] {
  return [...text.matchAll(/<[^<>\s]+@[^<>\s]+>/g)].map((m) => m[0]);
}

function listOf(value: string | null): string[] {
  return value ? value.split(',').map((a) => a.trim().replace(/^<|>$/g, '')).filter((a) => /^[^\s@]+@[^\s@]+$/.test(a)) : [];
}

function contentOf(content: ArrayBuffer | Uint8Array | string): string {
  return typeof content === 'string' ? content : Buffer.from(content instanceof ArrayBuffer ? new Uint8Array(content) : content).toString('utf8');
}

function fingerprintOf(messageId: string | null, raw: Buffer): string {
  const hash = crypto.createHash('sha256');
  // A report's own Message-ID identifies it wherever it was moved; without one, its bytes do.
  if (messageId && /<[^>]+>/.test(messageId)) hash.update(`id:${messageId.trim()}`);
  else hash.update(raw);
  return hash.digest('hex');
}

const unique = <T>(xs: T[]): T[] => [...new Set(xs)];

/** The headers a mailbox listing fetches for each message to tell reports from the rest cheaply. */
export const SCREENING_HEADERS = ['content-type', 'from', 'subject', 'x-failed-recipients', 'x-ms-exchange-message-is-ndr', 'auto-submitted'] as const;

/**
 * Whether a message may be a delivery report, from a few headers: only those are downloaded and
 * read. Ordinary mail and auto-replies are left alone (never downloaded, never marked read).
 */
export function mayBeReport(headers: Readonly<Record<string, string>>): boolean {
  const type = (headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/report')) return !/report-type\s*=\s*"?disposition-notification/.test(type);
  if (headers['x-failed-recipients'] || headers['x-ms-exchange-message-is-ndr'] !== undefined) return true;
  const from = /<([^>]+)>/.exec(headers.from ?? '')?.[1] ?? (headers.from ?? '').trim();
  return DAEMON_SENDER.test(from) && NDR_SUBJECT.test(headers.subject ?? '');
}
