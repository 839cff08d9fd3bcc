// A small typed client for host applications: hand e-mails over, read them, manage webhooks, and
// check a webhook's signature. Its types are generated from Postroom's OpenAPI document.
import type { components, paths } from './api-types.js';

export { verifySignature, SIGNATURE_HEADER, EVENT_ID_HEADER, DEFAULT_TOLERANCE_SECONDS } from './signature.js';

type Schemas = components['schemas'];
type JsonBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type EmailInput = JsonBody<'/api/v1/emails', 'post'>;
export type HandOverResult = Schemas['HandOverResult'];
export type BatchItemResult = Schemas['BatchResult']['results'][number];
export type EmailSummary = Schemas['EmailSummary'];
export type EmailDetail = Schemas['EmailDetail'];
export type EmailPage = Schemas['EmailPage'];
export type WebhookInput = JsonBody<'/api/v1/webhooks', 'post'>;
export type Webhook = Schemas['Webhook'];
export type CreatedWebhook = Schemas['CreatedWebhook'];
export type WebhookDeliveryPage = Schemas['WebhookDeliveryPage'];
export type EmailEventType = Webhook['events'][number];

/** Postroom refused the call: the HTTP status, its stable error code, and the fields at fault. */
export class PostroomApiError extends Error {
  override name = 'PostroomApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * A batch of handOverMany that Postroom refused whole (rate limit, database unavailable, disk
 * full): nothing of it was stored. `results` holds what the batches before it became, `nextIndex`
 * the first e-mail not stored: hand over `emails.slice(nextIndex)` again after Retry-After.
 */
export class PostroomBatchError extends PostroomApiError {
  override name = 'PostroomBatchError';
  constructor(
    cause: PostroomApiError,
    readonly results: BatchItemResult[],
    readonly nextIndex: number,
  ) {
    super(cause.status, cause.code, cause.message, cause.fields);
  }
}

export interface ClientOptions {
  /** Where Postroom listens, e.g. https://postroom.corp.example */
  baseUrl: string;
  /** An API token (postroom token create NAME). */
  token: string;
  fetch?: typeof fetch;
}

export function createPostroomClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '') + '/api/v1';
  const doFetch = options.fetch ?? fetch;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await doFetch(base + path, {
      method,
      headers: { authorization: `Bearer ${options.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = (await res.json().catch(() => null)) as unknown;
    if (!res.ok) {
      const e = (data ?? {}) as { error?: string; message?: string; fields?: { field: string; message: string }[] };
      throw new PostroomApiError(res.status, e.error ?? 'error', e.message ?? `Postroom answered ${res.status}`, e.fields ?? []);
    }
    return data as T;
  }

  return {
    /** 202 for a new e-mail; for an idempotencyKey seen before, the first e-mail (duplicate: true). */
    handOver: (email: EmailInput) => call<HandOverResult>('POST', '/emails', email),
    /**
     * Many e-mails in batches of up to 500 (POST /emails/batch), one after the other: a result per
     * e-mail in order, `index` counting from the first of `emails`. One refused e-mail refuses
     * itself only; a batch refused whole throws a PostroomBatchError saying where to resume.
     */
    async handOverMany(emails: EmailInput[], options: { batchSize?: number } = {}): Promise<BatchItemResult[]> {
      const size = Math.min(Math.max(1, options.batchSize ?? 500), 500);
      const results: BatchItemResult[] = [];
      for (let from = 0; from < emails.length; from += size) {
        try {
          const { results: part } = await call<{ results: BatchItemResult[] }>('POST', '/emails/batch', { emails: emails.slice(from, from + size) });
          for (const r of part) results.push({ ...r, index: r.index + from });
        } catch (err) {
          if (err instanceof PostroomApiError) throw new PostroomBatchError(err, results, from);
          throw err;
        }
      }
      return results;
    },
    getEmail: (id: number) => call<EmailDetail>('GET', `/emails/${id}`),
    listEmails: (query: { status?: EmailSummary['status']; q?: string; limit?: number; cursor?: string } = {}) => {
      const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
      return call<EmailPage>('GET', `/emails${params.size ? `?${params}` : ''}`);
    },
    /** The answer holds the signing secret: it is not shown again. */
    createWebhook: (input: WebhookInput) => call<CreatedWebhook>('POST', '/webhooks', input),
    listWebhooks: () => call<Webhook[]>('GET', '/webhooks'),
    removeWebhook: (id: number) => call<{ removed: number }>('DELETE', `/webhooks/${id}`),
    webhookDeliveries: (id: number, limit = 50) => call<WebhookDeliveryPage>('GET', `/webhooks/${id}/deliveries?limit=${limit}`),
  };
}

export type PostroomClient = ReturnType<typeof createPostroomClient>;
