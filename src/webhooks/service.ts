// Webhooks as administrators and host applications manage them: register a receiver (its secret
// shown once), list, remove, re-enable, and read its delivery log. A token sees only its own.
import crypto from 'node:crypto';
import { z } from 'zod';
import { writeTransaction, type Database, type Store } from '../db/index.js';
import { PostroomError } from '../errors.js';
import type { Selectable } from 'kysely';
import type { Sealer, SettingsService } from '../settings/index.js';
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
  })
  .strict();

export interface WebhookInfo {
  id: number;
  url: string;
  events: EmailEventType[];
  /** "all": every e-mail (made by an administrator); "own": the e-mails its token handed over. */
  scope: 'all' | 'own';
  createdAt: string;
  createdBy: string;
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
    createdAt: iso(r.created_at) as string,
    createdBy: r.created_by,
    failingSince: iso(r.failing_since),
    disabledAt: iso(r.disabled_at),
    disabledReason: r.disabled_reason,
  };
}

export class Webhooks {
  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly settings: SettingsService,
  ) {}

  /** Checks the URL (form, then where it resolves) and stores the webhook; the secret is in this answer only. */
  async create(input: unknown, viewer: WebhookViewer): Promise<WebhookInfo & { secret: string }> {
    const parsed = webhookInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new WebhookInputError(parsed.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : '(body)', message: i.message })));
    }
    let url: URL;
    try {
      url = parseWebhookUrl(parsed.data.url);
      await checkWebhookTarget(url, await this.settings.value('webhooksAllowPrivate'));
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
      owner_source: viewer.kind === 'token' ? viewer.source : null,
      token_id: viewer.kind === 'token' ? viewer.tokenId : null,
      created_by: viewer.actor,
      created_at: now,
      failing_since: null,
      disabled_at: null,
      disabled_reason: null,
    };
    const id = await writeTransaction(this.store, async (trx) => {
      const { id } = await trx.insertInto('webhooks').values(row).returning('id').executeTakeFirstOrThrow();
      await trx.insertInto('settings_audit').values(audit(now, viewer.actor, id, null, { url: row.url, events })).execute();
      return id;
    });
    return { ...info({ ...row, id }), secret };
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
      await trx.insertInto('settings_audit').values(audit(Date.now(), viewer.actor, id, { url: row.url }, null)).execute();
    });
  }

  /** Starts delivering again to a webhook disabled after failing (its waiting deliveries were given up). */
  async enable(id: number, viewer: WebhookViewer): Promise<WebhookInfo> {
    const row = await this.row(id, viewer);
    if (row.disabled_at === null) return info(row);
    await writeTransaction(this.store, async (trx) => {
      await trx.updateTable('webhooks').set({ disabled_at: null, disabled_reason: null, failing_since: null }).where('id', '=', id).execute();
      await trx.insertInto('settings_audit').values(audit(Date.now(), viewer.actor, id, 'disabled', 'enabled')).execute();
    });
    return this.get(id, viewer);
  }

  /** The delivery log, newest first. */
  async deliveries(id: number, viewer: WebhookViewer, limit = 50, beforeId?: number): Promise<DeliveryInfo[]> {
    await this.row(id, viewer);
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
      lastBodyExcerpt: d.last_body_excerpt,
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
