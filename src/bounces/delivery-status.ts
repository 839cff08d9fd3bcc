// Reads the body of a message/delivery-status part (RFC 3464 §2; RFC 6533 for the global form):
// header-like fields, one group per message and one per recipient, separated by blank lines.

import { REPORT_ACTIONS, type ReportAction } from '../queue/index.js';

/** One per-recipient group, as the report gave it. */
export interface RecipientStatus {
  /** The address we sent to: Original-Recipient when the report has it, else Final-Recipient. */
  recipient: string;
  finalRecipient: string | null;
  action: ReportAction;
  /** The enhanced status code (RFC 3463), e.g. "5.1.1"; null when the report has none. */
  status: string | null;
  /** Diagnostic-Code without its type ("smtp;"), unfolded. */
  diagnostic: string | null;
  remoteMta: string | null;
  lastAttemptAt: number | null;
  willRetryUntil: number | null;
}

export interface DeliveryStatus {
  reportingMta: string | null;
  envelopeId: string | null;
  arrivalAt: number | null;
  recipients: RecipientStatus[];
}

/** A delivery-status body Postroom will not read (too many groups, no recipient): left where it is. */
export class DeliveryStatusError extends Error {
  override name = 'DeliveryStatusError';
}

type Fields = Map<string, string>;

/**
 * `maxRecipients`: a report naming more recipients than an e-mail may have is refused whole
 * rather than read in part (a forged report naming 10,000 addresses costs nothing).
 */
export function readDeliveryStatus(text: string, maxRecipients: number): DeliveryStatus {
  const groups = splitGroups(text);
  const [first, ...rest] = groups;
  if (!first || rest.length === 0) throw new DeliveryStatusError('the delivery-status part names no recipient');
  if (rest.length > maxRecipients) {
    throw new DeliveryStatusError(`the delivery-status part names more recipients (${rest.length}) than an e-mail can have (${maxRecipients})`);
  }
  const recipients: RecipientStatus[] = [];
  for (const fields of rest) {
    const r = recipientOf(fields);
    if (r) recipients.push(r);
  }
  if (recipients.length === 0) throw new DeliveryStatusError('no recipient group of the delivery-status part has an address and an action');
  return {
    reportingMta: mtaName(first.get('reporting-mta')),
    envelopeId: decodeXtext(first.get('original-envelope-id')?.trim() ?? '') || null,
    arrivalAt: dateOf(first.get('arrival-date')),
    recipients,
  };
}

function recipientOf(fields: Fields): RecipientStatus | null {
  const final = addressOf(fields.get('final-recipient'));
  const original = addressOf(fields.get('original-recipient'));
  const action = fields.get('action')?.trim().toLowerCase().split(/[\s(]/)[0] ?? '';
  const recipient = original ?? final;
  if (!recipient || !(REPORT_ACTIONS as readonly string[]).includes(action)) return null;
  const diagnostic = typedValue(fields.get('diagnostic-code'));
  return {
    recipient,
    finalRecipient: final,
    action: action as ReportAction,
    status: enhancedStatus(fields.get('status')) ?? enhancedStatus(diagnostic),
    diagnostic,
    remoteMta: mtaName(fields.get('remote-mta')),
    lastAttemptAt: dateOf(fields.get('last-attempt-date')),
    willRetryUntil: dateOf(fields.get('will-retry-until')),
  };
}

/** Groups of fields; a line starting with white space continues the field before it. */
function splitGroups(text: string): Fields[] {
  const groups: Fields[] = [];
  let current: Fields | null = null;
  let last: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      current = null;
      last = null;
      continue;
    }
    if (/^[ \t]/.test(line)) {
      if (current && last !== null) current.set(last, `${current.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (!current) groups.push((current = new Map()));
    last = line.slice(0, colon).trim().toLowerCase();
    // The first occurrence wins: a repeated field is a malformed report, not a second opinion.
    if (!current.has(last)) current.set(last, line.slice(colon + 1).trim());
  }
  return groups;
}

/** "rfc822; bob@example.net" → "bob@example.net" (xtext and utf-8 forms decoded). */
function addressOf(value: string | undefined): string | null {
  const text = typedValue(value);
  if (!text) return null;
  const address = decodeXtext(text).replace(/^<|>$/g, '').trim();
  return /^[^\s@<>]+@[^\s@<>]+$/.test(address) ? address : null;
}

/** The value after its type ("dns; mx.example.net" → "mx.example.net"); a value without one as is. */
function typedValue(value: string | undefined): string | null {
  if (value === undefined) return null;
  const semi = value.indexOf(';');
  const text = (semi >= 0 && /^[\w-]+$/.test(value.slice(0, semi).trim()) ? value.slice(semi + 1) : value).trim();
  return text === '' ? null : text;
}

/** "dns; mx.example.net. (192.0.2.1, the server for …)" → "mx.example.net": the name, not its comments. */
function mtaName(value: string | undefined): string | null {
  const text = typedValue(value)?.replace(/\([^)]*\)/g, ' ').trim().split(/\s+/)[0]?.replace(/\.$/, '');
  return text ? text : null;
}

/** RFC 3461 xtext: "+2B" is "+". */
function decodeXtext(text: string): string {
  return text.replace(/\+([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The first enhanced status code (RFC 3463 class.subject.detail) in a text. */
export function enhancedStatus(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = /(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/.exec(text);
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : null;
}

function dateOf(value: string | undefined): number | null {
  if (!value) return null;
  const t = Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isFinite(t) ? t : null;
}
