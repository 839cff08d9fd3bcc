// What a valid hand-over becomes in the database: the e-mail's row (pending, due now or at its
// sendAt, under a new Message-ID) and its attachments' bytes with their digests.
import crypto from 'node:crypto';
import os from 'node:os';
import { toAddress, type ValidEmailInput } from './input.js';
import type { NewEmail } from './repository.js';

/**
 * `<time.random@domain>`: unique and unguessable (80 random bits), and in the order of creation,
 * so the Message-ID index (bounces are matched by it) grows at its end instead of touching a
 * random page of it at every hand-over.
 */
export function newMessageId(now: number, domain: string): string {
  return `<${now.toString(36).padStart(9, '0')}.${crypto.randomBytes(10).toString('hex')}@${domain}>`;
}

/** The rows of one e-mail; `postmaster` names the Message-ID's domain when the e-mail has no sender. */
export function newEmail(email: ValidEmailInput, source: string, postmaster: string, now: number): NewEmail {
  const sendAt = email.sendAt === undefined ? null : Date.parse(email.sendAt);
  const attachments = email.attachments.map((a) => {
    const content = Buffer.from(a.contentBase64, 'base64');
    return {
      filename: a.filename,
      contentType: a.contentType ?? 'application/octet-stream',
      contentId: a.contentId ?? null,
      sha256: crypto.createHash('sha256').update(content).digest('hex'),
      content,
    };
  });
  const domain = (email.sender?.email ?? postmaster).split('@')[1] ?? os.hostname();
  const size = email.subject.length + (email.text?.length ?? 0) + (email.html?.length ?? 0) + attachments.reduce((n, a) => n + a.content.length, 0);
  const row: NewEmail['row'] = {
    status: 'pending',
    message_id: newMessageId(now, domain),
    idempotency_key: email.idempotencyKey ?? null,
    sender_email: email.sender?.email ?? null,
    sender_name: email.sender?.name ?? null,
    to_addrs: JSON.stringify(email.to.map(toAddress)),
    cc_addrs: JSON.stringify(email.cc.map(toAddress)),
    bcc_addrs: JSON.stringify(email.bcc.map(toAddress)),
    subject: email.subject,
    text_body: email.text ?? null,
    html_body: email.html ?? null,
    headers: JSON.stringify(email.headers),
    created_at: now,
    updated_at: now,
    due_at: sendAt === null ? now : Math.max(now, sendAt),
    send_at: sendAt,
    lease_owner: null,
    first_failure_at: null,
    finished_at: null,
    last_reply_code: null,
    last_reply: null,
    rejected_recipients: null,
    recipients: null,
    size_bytes: size,
    attachment_count: attachments.length,
    source,
  };
  return { row, attachments };
}
