// Webhooks as administrators and host applications manage them: register a receiver (its secret
// shown once), list, remove, re-enable, and read its delivery log. A token sees only its own.
import crypto from 'node:crypto';
import { z } from 'zod';
import { writeTransaction, type Database, type Store } from '../db/index.js';
import { PostroomError } from '../errors.js';
import type { Selectable } from 'kysely';
import type { Sealer } from '../settings/index.js';
import { tokenSource } from '../access/index.js';
import { checkWebhookTarget, parseWebhookUrl, WebhookAddressError } from './address.js';
import { EMAIL_EVENT_TYPES, type EmailEventType } from './events.js';

/** The name bound into each sealed webhook secret (so it cannot be swapped with another secret). */
export const SECRET_NAME = 'webhookSecret';

/** Refused input: names each field and why; nothing was stored. */
export class WebhookInputError extends PostroomError {
  override name = 'WebhookInputError';
  readonly code = 'invalid_request';
  constructor(readonly errors: { field: string; message: string }[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  }
  override get publicMessage() {
    return `webhook refused, nothing stored: ${this.message}`;
  }
  override get fields() {
    return this.errors;
  }
}

/** How many webhooks one token may have: each event fans out to every one of them. */
export const WEBHOOKS_PER_TOKEN = 10;

/** A token that has WEBHOOKS_PER_TOKEN webhooks asks for one more. */
export class WebhookLimitError extends PostroomError {
  override name = 'WebhookLimitError';
  readonly code = 'webhook_limit';
  constructor() {
    super(`a token may have ${WEBHOOKS_PER_TOKEN} webhooks (each event is posted to every one): remove one first`);
  }
}

/** No such webhook, or another token's (as invisible as one that does not exist). */
export class WebhookNotFoundError extends PostroomError {
  override name = 'WebhookNotFoundError';
  readonly code = 'not_found';
  constructor(readonly id: number) {
    super(`webhook ${id} does not exist`);
  }
}

/** Who asks: an administrator (every webhook, every e-mail) or a host application's token. */
export type WebhookViewer = { kind: 'admin'; actor: string } | { kind: 'token'; source: string; tokenId: number; actor: string };

export const webhookInputSchema = z
  .object({
    url: z.string({ message: 'is required' }),
    events: z
      .array(z.enum(EMAIL_EVENT_TYPES, { message: `must be one of ${EMAIL_EVENT_TYPES.join(', ')}` }))
      .min(1, { message: 'needs at least one event (leave it out for all of them)' })
      .optional(),
    allowPrivateTarget: z
      .boolean({ message: 'must be true or false' })
      .optional()
      .describe('administrators only: the URL may be a private or loopback address (a receiver on your own network)'),
    forToken: z
      .number({ message: 'must be a token ID' })
      .int({ message: 'must be a token ID' })
      .positive({ message: 'must be a token ID' })
      .optional()
      .describe("administrators only: the webhook belongs to this token (it hears of that token's e-mails, and the token sees it) instead of hearing of every e-mail"),
  })
  .strict();

export interface WebhookInfo {
  id: number;
  url: string;
  events: EmailEventType[];
  /** "all": every e-mail (made by an administrator); "own": the e-mails its token handed over. */
  scope: 'all' | 'own';
  /** The token whose e-mails it hears of, as token:ID:name; null for every e-mail. */
  owner: string | null;
  createdAt: string;
  createdBy: string;
  /** Whether an administrator allowed this webhook a private or loopback address. */
  allowPrivateTarget: boolean;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
}

export interface DeliveryInfo {
  id: number;
  eventId: string;
  type: string;
  emailId: number;
  statusVersion: number;
  status: Selectable<Database['webhook_deliveries']>['status'];
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastBodyExcerpt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function info(r: Selectable<Database['webhooks']>): WebhookInfo {
  return {
    id: r.id,
    url: r.url,
    events: JSON.parse(r.events) as EmailEventType[],
    scope: r.owner_source === null ? 'all' : 'own',
    owner: r.owner_source,
    createdAt: iso(r.created_at) as string,
    createdBy: r.created_by,
    allowPrivateTarget: r.private_allowed_by !== null,
    failingSince: iso(r.failing_since),
    disabledAt: iso(r.disabled_at),
    disabledReason: r.disabled_reason,
  };
}

export class Webhooks {
  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
  ) {}

  /** Checks the URL (form, then where it resolves) and stores the webhook; the secret is in this answer only. */
  async create(input: unknown, viewer: WebhookViewer): Promise<WebhookInfo & { secret: string }> {
    const parsed = webhookInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new WebhookInputError(parsed.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(body)', message: i.message })));
    }
    const { allowPrivateTarget = false, forToken } = parsed.data;
    if (viewer.kind === 'token') {
      const adminOnly = [allowPrivateTarget && 'allowPrivateTarget', forToken !== undefined && 'forToken'].filter((f): f is string => Boolean(f));
      if (adminOnly.length) throw new WebhookInputError(adminOnly.map((field) => ({ field, message: 'only an administrator may set it' })));
    }
    const owner = viewer.kind === 'token' ? { source: viewer.source, tokenId: viewer.tokenId } : forToken !== undefined ? await this.tokenOwner(forToken) : null;
    let url: URL;
    try {
      url = parseWebhookUrl(parsed.data.url);
      await checkWebhookTarget(url, allowPrivateTarget);
    } catch (err) {
      if (err instanceof WebhookAddressError) throw new WebhookInputError([{ field: 'url', message: err.message }]);
      throw err;
    }
    const events = [...new Set(parsed.data.events ?? EMAIL_EVENT_TYPES)];
    const secret = `whsec_${crypto.randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    const row = {
      url: url.toString(),
      events: JSON.stringify(events),
      secret: this.sealer.seal(SECRET_NAME, secret),
      owner_source: owner?.source ?? null,
      token_id: owner?.tokenId ?? null,
      created_by: viewer.actor,
      created_at: now,
      private_allowed_by: allowPrivateTarget ? viewer.actor : null,
      failing_since: null,
      disabled_at: null,
      disabled_reason: null,
    };
    const id = await writeTransaction(this.store, async (trx) => {
      // Counted in the transaction that adds it: parallel requests cannot all pass the count.
      if (owner) {
        // PostgreSQL: the token's row serialises its webhook creations (SQLite's writes are serial).
        if (this.store.dialect === 'postgres') await trx.selectFrom('api_tokens').select('id').where('id', '=', owner.tokenId).forUpdate().execute();
        const { n } = await trx.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_source', '=', owner.source).executeTakeFirstOrThrow();
        if (Number(n) >= WEBHOOKS_PER_TOKEN) throw new WebhookLimitError();
      }
      const { id } = await trx.insertInto('webhooks').values(row).returning('id').executeTakeFirstOrThrow();
      const audited = { url: row.url, events, ...(owner ? { owner: owner.source } : {}), ...(allowPrivateTarget ? { allowPrivateTarget } : {}) };
      await trx.insertInto('audit_log').values(audit(now, viewer.actor, id, null, audited)).execute();
      return id;
    });
    return { ...info({ ...row, id }), secret };
  }

  /** The owner a webhook made for a token gets: that token's, as if it had made it. */
  private async tokenOwner(tokenId: number): Promise<{ source: string; tokenId: number }> {
    const token = await this.store.db.selectFrom('api_tokens').select(['id', 'name', 'revoked_at']).where('id', '=', tokenId).executeTakeFirst();
    if (!token || token.revoked_at !== null) throw new WebhookInputError([{ field: 'forToken', message: `token ${tokenId} does not exist or is revoked` }]);
    return { source: tokenSource(token), tokenId: token.id };
  }

  async list(viewer: WebhookViewer): Promise<WebhookInfo[]> {
    let q = this.store.db.selectFrom('webhooks').selectAll().orderBy('id');
    if (viewer.kind === 'token') q = q.where('owner_source', '=', viewer.source);
    return (await q.execute()).map(info);
  }

  async get(id: number, viewer: WebhookViewer): Promise<WebhookInfo> {
    return info(await this.row(id, viewer));
  }

  async remove(id: number, viewer: WebhookViewer): Promise<void> {
    const row = await this.row(id, viewer);
    await writeTransaction(this.store, async (trx) => {
      await trx.deleteFrom('webhooks').where('id', '=', id).execute();
      await trx.insertInto('audit_log').values(audit(Date.now(), viewer.actor, id, { url: row.url }, null)).execute();
    });
  }

  /** Starts delivering again to a webhook disabled after failing (its waiting deliveries were given up). */
  async enable(id: number, viewer: WebhookViewer): Promise<WebhookInfo> {
    const row = await this.row(id, viewer);
    if (row.disabled_at === null) return info(row);
    await writeTransaction(this.store, async (trx) => {
      await trx.updateTable('webhooks').set({ disabled_at: null, disabled_reason: null, failing_since: null }).where('id', '=', id).execute();
      await trx.insertInto('audit_log').values(audit(Date.now(), viewer.actor, id, 'disabled', 'enabled')).execute();
    });
    return this.get(id, viewer);
  }

  /** The delivery log, newest first. */
  async deliveries(id: number, viewer: WebhookViewer, limit = 50, beforeId?: number): Promise<DeliveryInfo[]> {
    const hook = await this.row(id, viewer);
    // A receiver on the company's network may answer with what it should not show: a token reads
    // only the status of its answers. Postroom's own reasons (no answer, refused) carry no status.
    const hideReceiverBody = viewer.kind === 'token' && hook.private_allowed_by !== null;
    let q = this.store.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id).orderBy('id', 'desc').limit(limit);
    if (beforeId !== undefined) q = q.where('id', '<', beforeId);
    return (await q.execute()).map((d) => ({
      id: d.id,
      eventId: d.event_id,
      type: d.type,
      emailId: d.email_id,
      statusVersion: d.status_version,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.status === 'pending' ? iso(d.next_attempt_at) : null,
      lastStatus: d.last_status,
      lastBodyExcerpt: hideReceiverBody && d.last_status !== null ? null : d.last_body_excerpt,
      createdAt: iso(d.created_at) as string,
      deliveredAt: iso(d.delivered_at),
    }));
  }

  /** For /metrics: deliveries by state, and how many webhooks are disabled. */
  async counts(): Promise<{ deliveries: Record<'pending' | 'delivered' | 'failed', number>; disabled: number }> {
    const rows = await this.store.db
      .selectFrom('webhook_deliveries')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const deliveries = { pending: 0, delivered: 0, failed: 0 };
    for (const r of rows) deliveries[r.status] = Number(r.n);
    const { n } = await this.store.db
      .selectFrom('webhooks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('disabled_at', 'is not', null)
      .executeTakeFirstOrThrow();
    return { deliveries, disabled: Number(n) };
  }

  private async row(id: number, viewer: WebhookViewer) {
    const row = await this.store.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    // Another token's webhook is as invisible as one that does not exist.
    if (!row || (viewer.kind === 'token' && row.owner_source !== viewer.source)) throw new WebhookNotFoundError(id);
    return row;
  }
}

export function audit(at: number, actor: string, id: number, before: unknown, after: unknown) {
  return {
    at,
    actor,
    key: `webhook:${id}`,
    old_value: before === null ? null : JSON.stringify(before),
    new_value: after === null ? null : JSON.stringify(after),
    secret: 0,
  };
}
