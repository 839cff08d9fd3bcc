// The outgoing message every route (SMTP, Graph, Outlook drafts) builds its request from, and
// its one builder: the envelope and the recipient de-duplication are decided here only.
import { uniqueMailboxes, type Address } from './address.js';
import { applySenderPolicy, type SenderPolicy } from './sender-policy.js';
import { textAlternative } from './text-alternative.js';

export interface OutgoingAttachment {
  filename: string;
  contentType: string;
  contentId: string | null;
  content: Buffer;
}

export interface OutgoingMessage {
  /** The stored e-mail's id; 0 for a message that is not in the queue (test e-mail, draft). */
  id: number;
  messageId: string;
  date: Date;
  from: Address;
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  /**
   * X-Postroom-Id and the SMTP envelope id ("<id>.<mac>"): what lets a delivery report name this
   * e-mail. Null for messages that are not in the queue (test e-mail, draft).
   */
  reportTag?: string | null;
  /** MAIL FROM and RCPT TO: the sender mailbox and the recipients still owed a copy. */
  envelope: { from: string; to: string[] };
  subject: string;
  text: string | undefined;
  html: string | undefined;
  headers: Record<string, string>;
  attachments: OutgoingAttachment[];
}

export interface MessageParts {
  id: number;
  messageId: string;
  date: Date;
  /** The user the host application named, if any: the sender policy decides what it becomes. */
  user: Address | null;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  headers?: Record<string, string>;
  attachments?: OutgoingAttachment[];
  /**
   * Recipients that already have their copy (accepted) or never will (refused): left out of
   * the envelope, so a retry reaches only those still owed one. Compared without case.
   */
  settled?: readonly string[];
  reportTag?: string | undefined;
}

export function buildMessage(parts: MessageParts, policy: SenderPolicy): OutgoingMessage {
  const { from, replyTo } = applySenderPolicy(policy, parts.user);
  const headers = parts.headers ?? {};
  // A Reply-To the host application set explicitly wins over the policy's default.
  const explicitReplyTo = Object.keys(headers).some((h) => h.toLowerCase() === 'reply-to');
  const settled = new Set((parts.settled ?? []).map((r) => r.toLowerCase()));
  const owed = uniqueMailboxes([...parts.to, ...parts.cc, ...parts.bcc]).filter((r) => !settled.has(r.toLowerCase()));
  return {
    id: parts.id,
    messageId: parts.messageId,
    date: parts.date,
    from,
    replyTo: explicitReplyTo ? [] : replyTo,
    to: parts.to,
    cc: parts.cc,
    bcc: parts.bcc,
    reportTag: parts.reportTag ?? null,
    envelope: { from: from.email, to: owed },
    subject: parts.subject,
    // HTML alone gets a generated text/plain alternative: queued e-mails, drafts and test e-mails alike.
    text: textAlternative(parts.text, parts.html),
    html: parts.html,
    headers,
    attachments: parts.attachments ?? [],
  };
}
