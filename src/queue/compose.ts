// Turns a stored e-mail into the message a route sends, applying the sender policy at send
// time so that a settings change also applies to what is still queued.
import type { EmailSettings } from '../settings/index.js';
import type { Address } from './input.js';
import type { EmailRow } from './repository.js';
import { textAlternative } from './text-alternative.js';

export interface OutgoingAttachment {
  filename: string;
  contentType: string;
  contentId: string | null;
  content: Buffer;
}

/** Transport-neutral: every route (SMTP, Graph) builds its request from this. */
export interface OutgoingMessage {
  id: number;
  messageId: string;
  date: Date;
  from: Address;
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  /** MAIL FROM and RCPT TO: the sender mailbox and every recipient, Bcc included. */
  envelope: { from: string; to: string[] };
  subject: string;
  text: string | undefined;
  html: string | undefined;
  headers: Record<string, string>;
  attachments: OutgoingAttachment[];
}

/** The e-mail cannot be given a sender under the current settings; it waits for a fix. */
export class NoSenderError extends Error {
  override name = 'NoSenderError';
}

export interface SenderPolicyResult {
  from: Address;
  replyTo: Address[];
}

/**
 * DESIGN §2. Forced: From "<user name>" <postmaster>, Reply-To the user; whatever sender the
 * host asked for is not used as From. Not forced: From the user, or the postmaster without one.
 */
export function applySenderPolicy(settings: Pick<EmailSettings, 'forcePostmaster' | 'postmaster'>, user: Address | null): SenderPolicyResult {
  if (settings.forcePostmaster) {
    if (!settings.postmaster) throw new NoSenderError('no sender: "Force postmaster" is checked but no Mail postmaster is set');
    const from: Address = user?.name ? { email: settings.postmaster, name: user.name } : { email: settings.postmaster };
    const sameAsPostmaster = user && user.email.toLowerCase() === settings.postmaster.toLowerCase();
    return { from, replyTo: user && !sameAsPostmaster ? [user] : [] };
  }
  if (user) return { from: user, replyTo: [] };
  if (settings.postmaster) return { from: { email: settings.postmaster }, replyTo: [] };
  throw new NoSenderError('no sender: the e-mail names no user and no Mail postmaster is set');
}

export function composeMessage(row: EmailRow, attachments: OutgoingAttachment[], settings: EmailSettings): OutgoingMessage {
  const user = row.sender_email ? (row.sender_name ? { email: row.sender_email, name: row.sender_name } : { email: row.sender_email }) : null;
  const { from, replyTo } = applySenderPolicy(settings, user);
  const headers = JSON.parse(row.headers) as Record<string, string>;
  // A Reply-To the host application set explicitly wins over the policy's default.
  const explicitReplyTo = Object.keys(headers).find((h) => h.toLowerCase() === 'reply-to');
  const to = JSON.parse(row.to_addrs) as Address[];
  const cc = JSON.parse(row.cc_addrs) as Address[];
  const bcc = JSON.parse(row.bcc_addrs) as Address[];
  return {
    id: row.id,
    messageId: row.message_id,
    date: new Date(row.created_at),
    from,
    replyTo: explicitReplyTo ? [] : replyTo,
    to,
    cc,
    bcc,
    envelope: { from: from.email, to: uniqueRecipients([...to, ...cc, ...bcc]) },
    subject: row.subject,
    // HTML alone gets a generated text/plain alternative, for SMTP and Graph alike.
    text: textAlternative(row.text_body, row.html_body),
    html: row.html_body ?? undefined,
    headers,
    attachments,
  };
}

/** Each recipient once, even when named in both To and Cc: one copy per person. */
function uniqueRecipients(all: Address[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const a of all) {
    const k = a.email.toLowerCase();
    if (!seen.has(k)) {
      seen.add(k);
      out.push(a.email);
    }
  }
  return out;
}

/** The e-mail "Send a test e-mail" sends: from whoever the sender policy names with no user. */
export function composeTestMessage(settings: EmailSettings, to: string, now = new Date()): OutgoingMessage {
  const { from } = applySenderPolicy(settings, null);
  const domain = from.email.split('@')[1] ?? 'postroom';
  return {
    id: 0,
    messageId: `<test-${now.getTime()}.${Math.random().toString(36).slice(2)}@${domain}>`,
    date: now,
    from,
    replyTo: [],
    to: [{ email: to }],
    cc: [],
    bcc: [],
    envelope: { from: from.email, to: [to] },
    subject: 'Postroom test e-mail',
    text: 'This test e-mail was sent from Configuration > Email. If you can read it, Postroom can send.',
    html: undefined,
    headers: {},
    attachments: [],
  };
}
