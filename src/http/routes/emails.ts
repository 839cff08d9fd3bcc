// E-mails over HTTP: hand one over, list and search, read one with its attempts; and for
// administrators, retry, cancel and release held e-mails. A token sees only its own e-mails.
import { z } from 'zod';
import { tokenSource } from '../../access/index.js';
import { EmailNotFoundError, emailInputSchema, LIMITS, STATUSES, type EmailDetail } from '../../queue/index.js';
import { draftInputSchema, isComposed, type Composer, type OutlookDrafts } from '../../outlook/index.js';
import type { Api } from '../api.js';
import type { Caller } from '../caller.js';
import { forbidden } from '../errors.js';
import { createdDraftReply, emailDetailReply, emailSummaryReply, handOverReply, named } from '../replies.js';
import { decimal } from '../decimal.js';
import { preferredLanguage, sendingWordsIn } from '../language.js';
import type { FastifyRequest } from 'fastify';

const composedReply = z.object({ composed: z.literal('outlook-new'), draft: createdDraftReply });
const emailPageReply = named('EmailPage', z.object({ items: z.array(emailSummaryReply), nextCursor: z.string().nullable() }));
const hourTallyReply = named('HourTally', z.object({ hour: z.string(), sent: z.number().int(), failed: z.number().int(), bounced: z.number().int() }));
const countsReply = z.object(Object.fromEntries(STATUSES.map((s) => [s, z.number().int()])));

export const sourceOf = (caller: Caller | null) => (caller?.kind === 'token' ? tokenSource(caller.token) : `admin:${caller?.kind === 'admin' ? caller.username : '?'}`);
const idParams = z.object({ id: decimal(z.number().int().positive({ message: 'must be an e-mail ID' }), 'must be an e-mail ID') });

/** The hand-over's body: what POST /emails validates, and what the OpenAPI document describes. */
export const HAND_OVER_BODY = emailInputSchema;
// Base64 grows the attachments by a third; the rest of the e-mail fits in the margin.
export const HAND_OVER_BODY_LIMIT = Math.ceil((LIMITS.attachmentBytes * 4) / 3) + 2 * LIMITS.bodyChars + 1024 * 1024;

export function emailRoutes(api: Api, onHandOver: () => void, composer: Composer): void {
  const { postroom } = api;

  /** The e-mail with why it waits, Postroom's words about its sending in the caller's language (Accept-Language). */
  const withWaiting = async (email: EmailDetail, req: FastifyRequest) =>
    sendingWordsIn({ ...email, waitingReason: await postroom.whyWaiting(email) }, preferredLanguage(req.headers['accept-language']));

  const readable = async (id: number, caller: Caller | null): Promise<EmailDetail> => {
    const email = await postroom.queue.show(id);
    if (caller?.kind === 'token' && email.source !== tokenSource(caller.token)) {
      throw forbidden(`e-mail ${id} was not handed over with this token`);
    }
    return email;
  };

  api.route({
    method: 'POST',
    path: '/emails',
    tag: 'emails',
    summary: 'Hand an e-mail over; it is stored as pending and sent by the next campaign',
    access: 'admin-or-token',
    body: HAND_OVER_BODY,
    bodyLimit: HAND_OVER_BODY_LIMIT,
    handOver: true,
    responses: {
      202: { description: 'accepted: {id, status, messageId}', schema: handOverReply },
      201: { description: 'with compose: true for a user on Outlook (New): {composed, draft: {id, webLink, mailbox}} instead', schema: composedReply },
      200: { description: 'this idempotencyKey was seen before: the first e-mail, nothing new', schema: handOverReply },
      400: 'refused (field and reason given); nothing stored',
      413: 'body over the size limit',
      409: 'with compose: true for a user on Outlook (New): graph_settings_missing (the Microsoft Graph settings named in the fields)',
      429: "over the token's hand-over limit (Retry-After says when to try again)",
      502: 'with compose: true for a user on Outlook (New): Microsoft Graph or the identity platform refused or failed (upstream)',
      503: 'database_unavailable (the database cannot be reached or keeps failing) or overloaded (this server is receiving as many hand-over bytes as it may hold); nothing stored (Retry-After)',
      507: 'storage_full: the database or its disk is full; nothing stored (Retry-After)',
    },
    async handle({ body, caller, reply }) {
      // Draft or queue is the composer's decision (outlook/compose.ts), the same for embedded use.
      const result = await composer.composeValid(body, sourceOf(caller));
      if (isComposed(result)) {
        void reply.status(201);
        return result;
      }
      if (!result.duplicate) onHandOver();
      void reply.status(result.duplicate ? 200 : 202);
      return result;
    },
  });

  api.route({
    method: 'GET',
    path: '/emails',
    tag: 'emails',
    summary: 'E-mails, newest first; filter by status, search subject and recipients; cursor pagination',
    access: 'admin-or-token',
    query: z.object({
      status: z.enum(STATUSES as [string, ...string[]]).optional(),
      q: z.string().max(200).optional(),
      limit: decimal(z.number().int().min(1).max(500)).default(50),
      cursor: z.string().regex(/^[0-9]{1,15}$/, { message: 'is not a cursor from a previous page' }).optional(),
    }),
    responses: { 200: { description: '{items, nextCursor}', schema: emailPageReply } },
    async handle({ query, caller, req }) {
      const lang = preferredLanguage(req.headers['accept-language']);
      const listed = await postroom.queue.list({
        status: query.status as (typeof STATUSES)[number] | undefined,
        text: query.q,
        limit: query.limit,
        beforeId: query.cursor ? Number(query.cursor) : undefined,
        source: caller?.kind === 'token' ? tokenSource(caller.token) : undefined,
      });
      const items = listed.map((e) => sendingWordsIn(e, lang));
      const last = items.at(-1);
      return { items, nextCursor: items.length === query.limit && last ? String(last.id) : null };
    },
  });

  api.route({
    method: 'GET',
    path: '/emails/counts',
    tag: 'emails',
    summary: 'How many e-mails are in each status',
    access: 'admin',
    responses: { 200: { description: 'counts by status', schema: countsReply } },
    handle: () => postroom.queue.counts(),
  });

  api.route({
    method: 'GET',
    path: '/emails/hourly',
    tag: 'emails',
    summary: 'E-mails sent, failed and bounced per hour over the last hours (24 by default), oldest first',
    access: 'admin',
    query: z.object({ hours: decimal(z.number().int().min(1).max(24 * 14)).default(24) }),
    responses: { 200: { description: '[{hour, sent, failed, bounced}]', schema: z.array(hourTallyReply) } },
    handle: ({ query }) => postroom.queue.hourly(query.hours),
  });

  api.route({
    method: 'GET',
    path: '/emails/:id',
    tag: 'emails',
    summary: 'One e-mail with every attempt and the server replies',
    access: 'admin-or-token',
    params: idParams,
    responses: { 200: { description: 'the e-mail', schema: emailDetailReply }, 403: "another token's e-mail", 404: 'no such e-mail' },
    handle: async ({ params, caller, req }) => withWaiting(await readable(params.id, caller), req),
  });

  api.route({
    method: 'GET',
    path: '/emails/:id/reports/:reportId/raw',
    tag: 'emails',
    summary: 'A delivery report as it was received (its first 64 KiB), for an administrator to read',
    access: 'admin-or-token',
    params: z.object({
      id: decimal(z.number().int().positive(), 'must be an e-mail ID'),
      reportId: decimal(z.number().int().positive(), 'must be a report ID'),
    }),
    responses: {
      200: { description: '{raw, truncated}', schema: named('RawReport', z.object({ raw: z.string(), truncated: z.boolean() })) },
      403: "another token's e-mail",
      404: 'no such e-mail or report',
    },
    async handle({ params, caller }) {
      await readable(params.id, caller);
      const raw = await postroom.queue.reports.raw(params.id, params.reportId);
      if (!raw) throw new EmailNotFoundError(params.id, `e-mail ${params.id} has no delivery report ${params.reportId}`);
      return raw;
    },
  });

  api.route({
    method: 'POST',
    path: '/emails/:id/retry',
    tag: 'emails',
    summary: 'Send a failed, error, cancelled or bounced e-mail again at the next campaign (fresh retry window); recipients that bounced are sent to again',
    access: 'admin',
    params: idParams,
    responses: { 200: { description: 'the e-mail, pending again', schema: emailDetailReply }, 404: 'no such e-mail', 409: 'its status does not allow it' },
    async handle({ params, req }) {
      await postroom.queue.retry(params.id);
      onHandOver();
      return withWaiting(await postroom.queue.show(params.id), req);
    },
  });

  api.route({
    method: 'POST',
    path: '/emails/:id/cancel',
    tag: 'emails',
    summary: 'Cancel a pending, error or held e-mail',
    access: 'admin',
    params: idParams,
    responses: { 200: { description: 'the e-mail, cancelled', schema: emailDetailReply }, 404: 'no such e-mail', 409: 'its status does not allow it' },
    async handle({ params, req }) {
      await postroom.queue.cancel(params.id);
      return withWaiting(await postroom.queue.show(params.id), req);
    },
  });

  api.route({
    method: 'POST',
    path: '/emails/release-held',
    tag: 'emails',
    summary: 'Release every held e-mail: they are sent at the next campaign',
    access: 'admin',
    responses: { 200: { description: '{released}', schema: z.object({ released: z.number().int() }) } },
    async handle() {
      const released = await postroom.queue.releaseHeld();
      if (released) onHandOver();
      return { released };
    },
  });
}

export function draftRoutes(api: Api, drafts: OutlookDrafts): void {
  api.route({
    method: 'POST',
    path: '/outlook/drafts',
    tag: 'outlook',
    summary: 'Create a draft in the Outlook (New) mailbox (outlookNewAddress, else the postmaster; or the user’s own with outlookNewDraftsIn=user-mailbox) for a user to send',
    access: 'admin-or-token',
    body: draftInputSchema,
    bodyLimit: HAND_OVER_BODY_LIMIT,
    handOver: true,
    responses: { 201: { description: '{id, webLink, mailbox, note?} (note: why the draft is not in the user’s own mailbox)', schema: createdDraftReply }, 400: 'refused input', 409: 'Graph settings missing (named)', 429: "over the token's hand-over limit", 502: 'Microsoft Graph refused', 503: 'overloaded: this server is receiving as many hand-over bytes as it may hold (Retry-After)' },
    async handle({ body, reply }) {
      void reply.status(201);
      return drafts.create(body);
    },
  });
}
