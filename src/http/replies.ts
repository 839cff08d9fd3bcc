// The shapes of the API's answers that several routes share, as zod schemas: they go into the
// OpenAPI document, the console's types are generated from it, and a test holds answers to them.
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { STATUSES } from '../queue/index.js';
import { FIELDS, SETTING_KEYS, type SettingKey } from '../settings/index.js';

/** The named shapes: each becomes components/schemas/<id> in the OpenAPI document, so a type of its own. */
export const namedReplies = new Map<z.ZodType, string>();

export function named<T extends z.ZodType>(id: string, schema: T): T {
  namedReplies.set(schema, id);
  return schema;
}

export const problemReply = named('Problem', z.object({ key: z.string(), message: z.string() }));

export const secretStateReply = named('SecretState', z.object({ set: z.boolean(), updatedAt: z.string().nullable() }));

const settingValue = (key: SettingKey) => {
  switch (FIELDS[key].kind) {
    case 'bool':
      return z.boolean();
    case 'int':
      return z.number().int();
    case 'secret':
      return secretStateReply;
    default:
      return z.string();
  }
};

export const routeKindReply = named('RouteKind', z.enum(['smtp', 'oauth', 'graph', 'google', 'drafts']));

export const certificateInfoReply = named('CertificateInfo', z.object({
  subject: z.string(),
  issuer: z.string(),
  expiresAt: z.string().describe('ISO date-time after which the certificate is no longer valid'),
  isCA: z.boolean(),
}));

export const settingsViewReply = named('SettingsView', z
  .object({
    settings: z.object(Object.fromEntries(SETTING_KEYS.map((k) => [k, settingValue(k)]))),
    problems: z.array(problemReply).describe('stop sending until fixed'),
    warnings: z.array(problemReply).describe('need attention soon; sending goes on'),
    route: z.enum(['smtp', 'oauth', 'graph', 'google']).describe('the sending route the settings choose'),
    routes: z.array(routeKindReply).describe('every route in use: the sending one, and drafts once an Outlook (New) mailbox is named'),
    cleared: z
      .array(z.object({ key: z.string(), because: z.array(z.string()), message: z.string() }))
      .optional()
      .describe('after a save: the secrets it cleared because where or how they go changed'),
    certificates: z
      .record(z.string(), z.array(certificateInfoReply))
      .describe('what each PEM certificate setting holds (subject, issuer, expiry), by setting key; a setting left empty is absent'),
  }));

export const emailStatusReply = named('EmailStatus', z.enum(STATUSES as [string, ...string[]]));

export const addressReply = named('Address', z.object({ email: z.string(), name: z.string().optional() }));

export const bounceTypeReply = named('BounceType', z.enum(['hard', 'soft', 'policy']).describe('hard: the address is wrong or gone; soft: the recipient\'s side, for now (mailbox full, domain not found); policy: a problem of ours (DMARC, a block, our provider\'s quota)'));

export const bounceReply = named('Bounce', z.object({
  type: bounceTypeReply,
  status: z.string().nullable().describe('the enhanced status code (RFC 3463), e.g. 5.1.1'),
  diagnostic: z.string().nullable().describe("the reporting server's words, e.g. the remote server's 550 reply"),
  reportingMta: z.string().nullable(),
  remoteMta: z.string().nullable(),
  reportedAt: z.string(),
}));

export const delayReply = named('Delay', z.object({
  status: z.string().nullable(),
  diagnostic: z.string().nullable(),
  reportingMta: z.string().nullable(),
  reportedAt: z.string(),
}));

export const recipientReply = named('Recipient', z.object({
  recipient: z.string(),
  state: z
    .enum(['pending', 'accepted', 'refused', 'deferred', 'failed', 'cancelled', 'bounced'])
    .describe('accepted/refused/deferred: the relay\'s answer; pending/failed/cancelled: the e-mail\'s, while the recipient has none of its own; bounced: a delivery report said it was not delivered'),
  code: z.number().int().nullable(),
  reply: z.string(),
  bounce: bounceReply.optional().describe('state bounced: what the delivery report said'),
  delayed: delayReply.optional().describe('a delay notice arrived: the state is unchanged, delivery is still being tried'),
}));

export const reportActionReply = named('ReportAction', z.enum(['failed', 'delayed', 'delivered', 'relayed', 'expanded']));

export const deliveryReportReply = named('DeliveryReport', z.object({
  id: z.number().int(),
  receivedAt: z.string().describe('when Postroom read it from the postmaster\'s mailbox'),
  reportedAt: z.string(),
  matchedBy: z.enum(['postroom-id', 'message-id', 'in-reply-to', 'envelope-id']).describe('the evidence that named this e-mail'),
  reporter: z.string(),
  subject: z.string(),
  recipients: z.array(z.object({
    recipient: z.string(),
    action: reportActionReply,
    type: bounceTypeReply.nullable(),
    status: z.string().nullable(),
    diagnostic: z.string().nullable(),
    reportingMta: z.string().nullable(),
    remoteMta: z.string().nullable(),
    reportedAt: z.number().int().describe('ms since the epoch'),
  })),
  rawTruncated: z.boolean().describe('the raw text kept is the report\'s first 64 KiB'),
}));

export const handOverReply = named('HandOverResult', z
  .object({ id: z.number().int(), status: emailStatusReply, messageId: z.string(), duplicate: z.boolean() }));

export const emailSummaryReply = named('EmailSummary', z
  .object({
    id: z.number().int(),
    status: emailStatusReply,
    messageId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    sender: addressReply.nullable(),
    to: z.array(addressReply),
    cc: z.array(addressReply),
    bcc: z.array(addressReply),
    subject: z.string(),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable(),
    firstFailureAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    lastReplyCode: z.number().int().nullable(),
    lastReply: z.string().nullable(),
    rejectedRecipients: z.array(z.object({ recipient: z.string(), code: z.number().int().nullable(), reply: z.string() })),
    recipients: z
      .array(recipientReply)
      .describe('every recipient (To, Cc, Bcc) once, with its state: the relay\'s answer or the e-mail\'s status, then what delivery reports said'),
    deferred: z.string().nullable().describe('while some recipients are deferred: "2 of 3 delivered, 1 deferred: <reply>"'),
    bounced: z.string().nullable().describe('when some recipients bounced after the relay accepted the e-mail: "1 of 2 bounced: <diagnostic>"'),
    source: z.string(),
    /** The sendAt asked at hand-over, or null. */
    scheduledAt: z.string().nullable(),
  }));

export const attemptReply = named('Attempt', z
  .object({
    startedAt: z.string(),
    finishedAt: z.string(),
    route: z.string(),
    outcome: z.enum(['sent', 'transient', 'permanent', 'interrupted']),
    replyCode: z.number().int().nullable(),
    reply: z.string().nullable(),
    instance: z.string(),
  }));

export const emailDetailReply = named('EmailDetail', emailSummaryReply
  .extend({
    text: z.string().nullable(),
    html: z.string().nullable(),
    headers: z.record(z.string(), z.string()),
    attachments: z.array(z.object({ filename: z.string(), contentType: z.string(), contentId: z.string().nullable(), size: z.number().int() })),
    reports: z.array(deliveryReportReply).describe('delivery reports read from the postmaster\'s mailbox and matched to this e-mail, oldest first'),
    attemptLog: z.array(attemptReply),
    waitingReason: z
      .object({
        kind: z.enum(['scheduled', 'held', 'no-process', 'sending-stopped', 'retry', 'due', 'being-sent']),
        message: z.string(),
        at: z.string().nullable(),
        reason: z.string().nullable(),
        setting: z.string().nullable(),
      })
      .nullable()
      .describe('why it has not gone yet (scheduled, held, sending stopped and why, a retry at a time, due now); null once finished'),
  }));

export const createdDraftReply = named('CreatedDraft', z.object({ id: z.string(), webLink: z.string().nullable(), mailbox: z.string() }));

/** Every error answer: a stable code from src/errors.ts, a message, and the fields at fault. */
export const errorReply = named('Error', z
  .object({
    error: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }));
