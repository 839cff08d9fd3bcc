// The stored e-mail as one MIME message (nodemailer's MailComposer): what SMTP sends, and what
// Graph receives in its MIME form, so headers, Message-ID, Reply-To, both bodies and every file
// arrive exactly as Postroom stored them.
import MailComposer from 'nodemailer/lib/mail-composer';
import type { SendMailOptions } from 'nodemailer/lib/mailer';
import { REPORT_TAG_HEADER, type OutgoingAttachment, type OutgoingMessage } from '../mail/index.js';
import { MimeThread } from './mime-thread.js';

export function toMailOptions(m: OutgoingMessage, attachments: OutgoingAttachment[] = m.attachments): SendMailOptions {
  const addr = (a: { email: string; name?: string | undefined }) => ({ name: a.name ?? '', address: a.email });
  return {
    envelope: m.envelope,
    messageId: m.messageId,
    date: m.date,
    from: addr(m.from),
    ...(m.replyTo.length ? { replyTo: m.replyTo.map(addr) } : {}),
    to: m.to.map(addr),
    cc: m.cc.map(addr),
    bcc: m.bcc.map(addr),
    subject: m.subject,
    text: m.text,
    html: m.html,
    // The tag comes last: a host's own header of that name was refused at hand-over.
    headers: m.reportTag ? { ...m.headers, [REPORT_TAG_HEADER]: m.reportTag } : m.headers,
    attachments: attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      ...(a.contentId ? { cid: a.contentId } : {}),
    })),
    // Content comes only from the database, never from a path or URL the host might name.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** MailComposer on the calling thread: the thread's fallback, and its reference. */
export function buildMimeHere(options: SendMailOptions, keepBcc: boolean): Promise<Buffer> {
  const node = new MailComposer(options).compile();
  node.keepBcc = keepBcc;
  return node.build();
}

const thread = new MimeThread(buildMimeHere);

/**
 * The message as sent. `keepBcc`: Graph reads the recipients from the MIME and strips Bcc itself;
 * over SMTP the envelope carries them and the header would show them to everyone.
 */
export function buildMime(m: OutgoingMessage, { keepBcc, attachments = m.attachments }: { keepBcc: boolean; attachments?: OutgoingAttachment[] }): Promise<Buffer> {
  return thread.build(toMailOptions(m, attachments), keepBcc);
}
