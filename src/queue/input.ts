// What a host application may hand over, and the checks that refuse bad input before anything
// is stored: addresses, header injection (CR/LF), sizes, attachments.
import { z } from 'zod';
import { emailAddress } from '../settings/index.js';
import { lineText, whyInvalid, type Address } from '../mail/index.js';
import { PostroomError } from '../errors.js';

/** Documented limits (docs/host-applications.md, docs/operations.md "Hand-over limits"). */
export const LIMITS = {
  recipients: 500,
  attachments: 100,
  attachmentBytes: 25 * 1024 * 1024,
  /** Graph takes no file over 150 MB ("Attach large files to Outlook messages or events"). */
  fileBytes: 150_000_000,
  bodyChars: 10 * 1024 * 1024,
  subjectChars: 998,
  headerCount: 50,
  /** sendAt may be at most this far ahead. */
  scheduleAheadDays: 366,
} as const;

/** An address, refused with the reason in words (the domain has no dot, a space, two @…), as the CLI says it. */
const handedOverAddress = z.string().superRefine((v, ctx) => {
  if (!emailAddress.safeParse(v).success) ctx.addIssue({ code: 'custom', message: `is not a valid e-mail address (${whyInvalid(v)})` });
});

export const addressSchema = z.union([
  handedOverAddress,
  z.object({ email: handedOverAddress, name: lineText(200).optional() }, { message: 'must be an address or {email, name}' }),
]);

// Headers Postroom writes itself; letting the host set them would bypass the sender policy or break the MIME.
const RESERVED_HEADERS = new Set([
  'from', 'sender', 'to', 'cc', 'bcc', 'subject', 'date', 'message-id', 'mime-version', 'return-path',
  'received', 'dkim-signature',
  // Errors-To sends bounces elsewhere; Resent-* (RFC 5322 3.6.6) makes a message claim a resender.
  'errors-to',
  // The tag delivery reports are matched by (mail/report-tag.ts).
  'x-postroom-id',
]);
// Content-* (Type, Transfer-Encoding, Disposition, ID, Location…) describe the MIME Postroom builds.
const isReserved = (name: string) => {
  const n = name.toLowerCase();
  return RESERVED_HEADERS.has(n) || n.startsWith('resent-') || n.startsWith('content-');
};

const headerName = z
  .string()
  .regex(/^[!-9;-~]{1,76}$/, { message: 'is not a valid header name' })
  .refine((n) => !isReserved(n), { message: 'is set by Postroom and cannot be given' });

// Linear: the first class takes every letter and space, and what may follow ("=", then only
// spaces) shares no character with it, so a failure backtracks each position once. The old
// /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/ let \s* and the class share line breaks: quadratic, and a
// hand-over of 60,000 line breaks and a "!" held the whole process for seconds.
const base64 = /^[A-Za-z0-9+/\s]*(?:=\s*){0,2}$/;

const attachmentSchema = z.object({
  filename: lineText(255).min(1, { message: 'is empty' }).refine((f) => !/[\\/]/.test(f), { message: 'contains a path separator' }),
  contentType: z
    .string()
    .regex(/^[\w.+-]+\/[\w.+-]+$/, { message: 'is not a MIME type (type/subtype)' })
    .optional(),
  contentBase64: z.string().regex(base64, { message: 'is not base64' }),
  /** Set to reference the file from the HTML as cid:… (inline image). */
  contentId: z
    .string()
    .regex(/^[\w.@-]{1,200}$/, { message: 'may only hold letters, digits, ".", "@", "_" and "-"' })
    .optional(),
});

export const emailInputSchema = z
  .object({
    sender: z.object({ email: handedOverAddress, name: lineText(200).optional() }).optional(),
    to: z.array(addressSchema).max(LIMITS.recipients, { message: `holds more than ${LIMITS.recipients} recipients` }).default([]),
    cc: z.array(addressSchema).max(LIMITS.recipients, { message: `holds more than ${LIMITS.recipients} recipients` }).default([]),
    bcc: z.array(addressSchema).max(LIMITS.recipients, { message: `holds more than ${LIMITS.recipients} recipients` }).default([]),
    subject: lineText(LIMITS.subjectChars),
    text: z.string().max(LIMITS.bodyChars, { message: 'is too long' }).optional(),
    html: z.string().max(LIMITS.bodyChars, { message: 'is too long' }).optional(),
    attachments: z.array(attachmentSchema).max(LIMITS.attachments, { message: `holds more than ${LIMITS.attachments} files` }).default([]),
    headers: z
      .record(headerName, lineText(998), {
        // Zod reports a refused key as "Invalid key in record"; give the host the reason instead.
        error: (iss) => (iss.code === 'invalid_key' ? iss.issues[0]?.message : undefined),
      })
      .refine((h) => Object.keys(h).length <= LIMITS.headerCount, { message: `holds more than ${LIMITS.headerCount} headers` })
      .default({}),
    /**
     * Ask for the user's own e-mail software: a user on Outlook (New) gets a draft to send
     * himself instead of an e-mail sent by Postroom (HTTP API only).
     */
    compose: z.boolean().optional(),
    idempotencyKey: z
      .string()
      .regex(/^[\x21-\x7e]{1,200}$/, { message: 'must be 1 to 200 printable characters without spaces' })
      .optional(),
    /** Send no earlier than this (ISO 8601 with Z or an offset); a time past means at once. */
    sendAt: z.iso
      .datetime({ offset: true, message: 'is not an ISO 8601 date-time with Z or an offset (2026-12-24T09:00:00Z)' })
      .refine((t) => Date.parse(t) - Date.now() <= LIMITS.scheduleAheadDays * 86_400_000, {
        message: `is more than ${LIMITS.scheduleAheadDays} days ahead`,
      })
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const count = v.to.length + v.cc.length + v.bcc.length;
    if (count === 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'at least one recipient (to, cc or bcc) is required' });
    if (count > LIMITS.recipients) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `more than ${LIMITS.recipients} recipients in all` });
    }
    if (v.text === undefined && v.html === undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'text or html is required' });
    }
    let bytes = 0;
    v.attachments.forEach((a, i) => {
      const size = base64Bytes(a.contentBase64);
      bytes += size;
      if (size > LIMITS.fileBytes) ctx.addIssue({ code: 'custom', path: ['attachments', i], message: `${a.filename} is ${size} bytes, over the limit of ${LIMITS.fileBytes} bytes per file` });
    });
    if (bytes > LIMITS.attachmentBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['attachments'],
        message: `total ${bytes} bytes, over the limit of ${LIMITS.attachmentBytes} bytes`,
      });
    }
  });

/**
 * The bytes base64 text decodes to, counted without copying it (a replace() copies wrapped text:
 * a second copy of every file held per hand-over in progress). Line breaks and padding do not count.
 */
export function base64Bytes(text: string): number {
  const other = /[\s=]/g;
  let skipped = 0;
  while (other.exec(text)) skipped++;
  return Math.floor(((text.length - skipped) * 3) / 4);
}

export type EmailInput = z.input<typeof emailInputSchema>;
export type ValidEmailInput = z.output<typeof emailInputSchema>;

export type { Address };

export function toAddress(a: z.output<typeof addressSchema>): Address {
  return typeof a === 'string' ? { email: a } : a.name ? { email: a.email, name: a.name } : { email: a.email };
}

/** Refused hand-over: names each field and why; nothing was stored. */
export class EmailInputError extends PostroomError {
  override name = 'EmailInputError';
  readonly code = 'invalid_request';
  constructor(readonly errors: { field: string; message: string }[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }
  override get publicMessage() {
    return `e-mail refused, nothing stored: ${this.message}`;
  }
  override get fields() {
    return this.errors;
  }
}

export function parseEmailInput(input: unknown): ValidEmailInput {
  const result = emailInputSchema.safeParse(input);
  if (result.success) return result.data;
  throw new EmailInputError(
    result.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(body)', message: i.message })),
  );
}
