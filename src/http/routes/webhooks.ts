// Webhooks over HTTP: a host application registers its receivers with its token (and sees only
// those); an administrator sees and manages all of them, with each one's delivery log.
import { z } from 'zod';
import { tokenSource } from '../../access/index.js';
import { EMAIL_EVENT_TYPES, webhookInputSchema, type WebhookViewer } from '../../webhooks/index.js';
import type { Api } from '../api.js';
import { named } from '../replies.js';
import type { Caller } from '../caller.js';
import { decimal } from '../decimal.js';

const webhookReply = named('Webhook', z.object({
  id: z.number().int(),
  url: z.string(),
  events: z.array(z.enum(EMAIL_EVENT_TYPES)),
  scope: z.enum(['all', 'own']),
  owner: z.string().nullable().describe('the token whose e-mails it hears of (token:ID:name); null: every e-mail'),
  createdAt: z.string(),
  createdBy: z.string(),
  allowPrivateTarget: z.boolean().describe('an administrator allowed this webhook a private or loopback address'),
  failingSince: z.string().nullable(),
  disabledAt: z.string().nullable(),
  disabledReason: z.string().nullable(),
}));
const createdWebhookReply = named('CreatedWebhook', webhookReply.extend({ secret: z.string() }));
const deliveryReply = named('WebhookDelivery', z.object({
  id: z.number().int(),
  eventId: z.string(),
  type: z.enum(EMAIL_EVENT_TYPES),
  emailId: z.number().int(),
  statusVersion: z.number().int(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  lastBodyExcerpt: z.string().nullable().describe("the start of the receiver's last answer, or why there was none; null to a token for a webhook to a private address"),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
}));
const deliveryPageReply = named('WebhookDeliveryPage', z.object({ items: z.array(deliveryReply), nextCursor: z.string().nullable() }));

const idParams = z.object({ id: decimal(z.number().int().positive(), 'must be a webhook ID') });

export function viewerOf(caller: Caller | null): WebhookViewer {
  if (caller?.kind === 'token') {
    const source = tokenSource(caller.token);
    return { kind: 'token', source, tokenId: caller.token.id, actor: source };
  }
  return { kind: 'admin', actor: `admin:${caller?.kind === 'admin' ? caller.username : '?'}` };
}

export function webhookRoutes(api: Api): void {
  const { webhooks } = api.postroom;

  api.route({
    method: 'POST',
    path: '/webhooks',
    tag: 'webhooks',
    summary:
      "Register a receiver of e-mail events; the signing secret is in this answer only. A token's webhook receives the events of the e-mails it handed over (10 webhooks per token); an administrator's, all, or a token's with forToken. A private or loopback URL needs allowPrivateTarget, which only an administrator may set",
    access: 'admin-or-token',
    body: webhookInputSchema,
    responses: {
      201: { description: 'the webhook with its signing secret (shown in this answer only)', schema: createdWebhookReply },
      400: 'refused URL or events, or a field only an administrator may set (field and reason given); nothing stored',
      409: 'webhook_limit: the token has 10 webhooks already; nothing stored',
    },
    async handle({ body, caller, reply }) {
      const created = await webhooks.create(body, viewerOf(caller));
      void reply.status(201);
      return created;
    },
  });
  api.route({
    method: 'GET',
    path: '/webhooks',
    tag: 'webhooks',
    summary: 'The webhooks (a token sees its own), never their secrets',
    access: 'admin-or-token',
    responses: { 200: { description: 'webhooks', schema: z.array(webhookReply) } },
    handle: ({ caller }) => webhooks.list(viewerOf(caller)),
  });

  api.route({
    method: 'DELETE',
    path: '/webhooks/:id',
    tag: 'webhooks',
    summary: 'Remove a webhook and its delivery log',
    access: 'admin-or-token',
    params: idParams,
    responses: { 200: { description: 'removed', schema: z.object({ removed: z.number().int() }) }, 404: 'no such webhook (or another token’s)' },
    async handle({ params, caller }) {
      await webhooks.remove(params.id, viewerOf(caller));
      return { removed: params.id };
    },
  });

  api.route({
    method: 'POST',
    path: '/webhooks/:id/enable',
    tag: 'webhooks',
    summary: 'Deliver again to a webhook that was disabled after failing for 24 hours',
    access: 'admin-or-token',
    params: idParams,
    responses: { 200: { description: 'the webhook', schema: webhookReply }, 404: 'no such webhook' },
    handle: ({ params, caller }) => webhooks.enable(params.id, viewerOf(caller)),
  });

  api.route({
    method: 'GET',
    path: '/webhooks/:id/deliveries',
    tag: 'webhooks',
    summary: "A webhook's delivery log, newest first: each event, its attempts and the receiver's last answer",
    access: 'admin-or-token',
    params: idParams,
    query: z.object({
      limit: decimal(z.number().int().min(1).max(500)).default(50),
      cursor: z.string().regex(/^\d+$/, { message: 'is not a cursor from a previous page' }).optional(),
    }),
    responses: { 200: { description: '{items, nextCursor}', schema: deliveryPageReply }, 404: 'no such webhook' },
    async handle({ params, query, caller }) {
      const items = await webhooks.deliveries(params.id, viewerOf(caller), query.limit, query.cursor ? Number(query.cursor) : undefined);
      const last = items.at(-1);
      return { items, nextCursor: items.length === query.limit && last ? String(last.id) : null };
    },
  });
}
