// Turns a stored e-mail into the message a route sends (through mail/'s one builder), at send
// time, so that a settings change also applies to what is still queued.
import { address, buildMessage, type Address, type OutgoingAttachment, type OutgoingMessage, type SenderPolicy } from '../mail/index.js';
import type { EmailRow } from './repository.js';

export function composeMessage(
  row: EmailRow,
  attachments: OutgoingAttachment[],
  policy: SenderPolicy,
  settled: readonly string[] = [],
  reportTag?: string,
): OutgoingMessage {
  return buildMessage(
    {
      id: row.id,
      messageId: row.message_id,
      date: new Date(row.created_at),
      user: row.sender_email ? address(row.sender_email, row.sender_name) : null,
      to: JSON.parse(row.to_addrs) as Address[],
      cc: JSON.parse(row.cc_addrs) as Address[],
      bcc: JSON.parse(row.bcc_addrs) as Address[],
      subject: row.subject,
      text: row.text_body ?? undefined,
      html: row.html_body ?? undefined,
      headers: JSON.parse(row.headers) as Record<string, string>,
      attachments,
      settled,
      reportTag,
    },
    policy,
  );
}

/** The e-mail "Send a test e-mail" sends: from whoever the sender policy names with no user. */
export function composeTestMessage(policy: SenderPolicy, to: string, now = new Date()): OutgoingMessage {
  const domain = policy.postmaster.split('@')[1] ?? 'postroom';
  return buildMessage(
    {
      id: 0,
      messageId: `<test-${now.getTime()}.${Math.random().toString(36).slice(2)}@${domain}>`,
      date: now,
      user: null,
      to: [{ email: to }],
      cc: [],
      bcc: [],
      subject: 'Postroom test e-mail',
      text: 'This test e-mail was sent from Configuration > Email. If you can read it, Postroom can send.',
    },
    policy,
  );
}
