// The queue as host applications and administrators see it: hand an e-mail over, list and
// inspect, retry, cancel, release held e-mails, purge. The sending process works beside it.
import type { Store, EmailStatus } from '../db/index.js';
import type { SettingsService } from '../settings/index.js';
import { base64Bytes, parseEmailInput, EmailInputError, type Address, type ValidEmailInput } from './input.js';
import { EmailRepository, type AttemptRow, type EmailRow, type ListFilter } from './repository.js';
import { newEmail } from './new-email.js';
import { handOverBatch, type BatchItemResult } from './batch.js';
import { EmailLifecycle } from './lifecycle.js';
import { FINISHED, refusal, TRANSITIONS, type Verb } from './states.js';
import { bouncedSummary, deferredSummary, parseRecipients, recipientViews, type RecipientView } from './recipients.js';
import { DeliveryReports, type StoredReport } from './reports.js';
import { uniqueMailboxes } from '../mail/index.js';
import { PostroomError } from '../errors.js';

export const STATUSES: EmailStatus[] = ['pending', 'sending', 'sent', 'error', 'failed', 'held', 'cancelled', 'bounced'];

export class EmailNotFoundError extends PostroomError {
  override name = 'EmailNotFoundError';
  readonly code = 'not_found';
  constructor(
    readonly id: number,
    message = `e-mail ${id} does not exist`,
  ) {
    super(message);
  }
}

/** An administrator action that the e-mail's current status does not allow. */
export class EmailStateError extends PostroomError {
  override name = 'EmailStateError';
  readonly code = 'conflict';
}

export interface HandOverResult {
  id: number;
  status: EmailStatus;
  messageId: string;
  /** True when the idempotency key was seen before: no new e-mail was made. */
  duplicate: boolean;
}

export interface EmailSummary {
  id: number;
  status: EmailStatus;
  messageId: string;
  createdAt: string;
  updatedAt: string;
  sender: Address | null;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  subject: string;
  attempts: number;
  nextAttemptAt: string | null;
  firstFailureAt: string | null;
  finishedAt: string | null;
  lastReplyCode: number | null;
  lastReply: string | null;
  rejectedRecipients: { recipient: string; code: number | null; reply: string }[];
  /** Every recipient with its state: the relay's answer, or the status's, then what reports said. */
  recipients: RecipientView[];
  /** Why it waits, when some recipients are deferred: "2 of 3 delivered, 1 deferred: …". */
  deferred: string | null;
  /** When some recipients bounced after the relay accepted them: "1 of 2 bounced: 550 5.1.1 …". */
  bounced: string | null;
  source: string;
  /** The sendAt asked at hand-over: not sent before then. */
  scheduledAt: string | null;
}

/** One hour of the outbox chart: the hour's start, and the e-mails that finished in it. */
export interface HourTally {
  hour: string;
  sent: number;
  failed: number;
  bounced: number;
}

export interface EmailDetail extends EmailSummary {
  text: string | null;
  html: string | null;
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string; contentId: string | null; size: number }[];
  /** The delivery reports matched to it (bounce processing), oldest first. */
  reports: StoredReport[];
  attemptLog: {
    startedAt: string;
    finishedAt: string;
    route: string;
    outcome: AttemptRow['outcome'];
    replyCode: number | null;
    reply: string | null;
    instance: string;
  }[];
}

/** Which e-mails a bulk retry takes: one retryable status, changed since a time. */
export interface RetryFilter {
  /** A status the retry verb may leave (TRANSITIONS.retry.from). */
  status: 'failed' | 'error' | 'cancelled' | 'bounced';
  since?: number | undefined;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class Queue {
  readonly repo: EmailRepository;
  /** Every status change, guarded by the transition table. */
  readonly lifecycle: EmailLifecycle;
  /** Delivery reports: finding the e-mail one names, recording what it says. */
  readonly reports: DeliveryReports;

  constructor(
    private readonly store: Store,
    private readonly settings: SettingsService,
  ) {
    this.repo = new EmailRepository(store);
    this.lifecycle = new EmailLifecycle(store);
    this.reports = new DeliveryReports(store);
  }

  /**
   * Validates and stores one e-mail as pending. Nothing is stored when the input is refused,
   * and an idempotency key seen before returns the first e-mail instead of making a second.
   */
  async handOver(input: unknown, source: string): Promise<HandOverResult> {
    return this.handOverValid(parseEmailInput(input), source);
  }

  /** Up to BATCH_MAX_EMAILS e-mails, each checked alone, the valid ones stored together; a result each, in order. */
  async handOverMany(inputs: unknown[], source: string): Promise<BatchItemResult[]> {
    const deps = { repo: this.repo, postmaster: () => this.settings.recentValue('postmaster'), refuseWhatRouteCannotTake: (e: ValidEmailInput) => this.refuseWhatRouteCannotTake(e) };
    return handOverBatch(deps, inputs, source);
  }

  /**
   * Refuses now what the route in use could never send, rather than failing it later. What that
   * is belongs to the route's settings (settings/routes.ts); the queue only names the fields.
   */
  private async refuseWhatRouteCannotTake(email: ValidEmailInput): Promise<void> {
    const refused = await this.settings.filesRouteCannotCarry(email.attachments.map((a) => ({ filename: a.filename, bytes: base64Bytes(a.contentBase64) })));
    if (refused.length) throw new EmailInputError(refused.map((r) => ({ field: `attachments.${r.index}`, message: r.message })));
  }

  /** For callers that already validated the input against emailInputSchema (the HTTP API). */
  async handOverValid(email: ValidEmailInput, source: string): Promise<HandOverResult> {
    if (email.idempotencyKey) {
      const existing = await this.repo.findByIdempotencyKey(source, email.idempotencyKey);
      if (existing) return { id: existing.id, status: existing.status, messageId: existing.message_id, duplicate: true };
    }
    // Read only when it is needed: the sender's domain names the Message-ID otherwise.
    const postmaster = email.sender ? '' : await this.settings.recentValue('postmaster');
    if (!email.sender && !postmaster) {
      throw new EmailInputError([{ field: 'sender', message: 'no sender: name a user, or set the Mail postmaster first' }]);
    }
    await this.refuseWhatRouteCannotTake(email);
    const stored = newEmail(email, source, postmaster, Date.now());
    const messageId = stored.row.message_id;
    try {
      const id = await this.repo.insert(stored);
      return { id, status: 'pending', messageId, duplicate: false };
    } catch (err) {
      // Two hand-overs with one key at the same moment: the unique index lets one through.
      if (email.idempotencyKey) {
        const existing = await this.repo.findByIdempotencyKey(source, email.idempotencyKey);
        if (existing) return { id: existing.id, status: existing.status, messageId: existing.message_id, duplicate: true };
      }
      throw err;
    }
  }

  async list(filter: Partial<ListFilter> = {}): Promise<EmailSummary[]> {
    const rows = await this.repo.list({ ...filter, limit: Math.min(filter.limit ?? 50, 1000) });
    return rows.map(summary);
  }

  async counts(): Promise<Record<EmailStatus, number>> {
    const counts = await this.repo.countByStatus();
    return Object.fromEntries(STATUSES.map((s) => [s, counts[s] ?? 0])) as Record<EmailStatus, number>;
  }

  /** The last `hours` whole hours, oldest first, with how many e-mails were sent and failed in each. */
  async hourly(hours = 24, now = Date.now()): Promise<HourTally[]> {
    const HOUR = 3_600_000;
    const current = Math.floor(now / HOUR);
    const first = current - hours + 1;
    const rows = await this.repo.finishedPerHour(first * HOUR);
    const tally = new Map<number, HourTally>();
    for (let h = first; h <= current; h++) tally.set(h, { hour: new Date(h * HOUR).toISOString(), sent: 0, failed: 0, bounced: 0 });
    for (const r of rows) {
      const t = tally.get(r.hour);
      if (t && (r.status === 'sent' || r.status === 'failed' || r.status === 'bounced')) t[r.status] += r.n;
    }
    return [...tally.values()];
  }

  async oldestDueAgeMs(): Promise<number> {
    return this.repo.oldestDueAgeMs(Date.now());
  }

  async show(id: number): Promise<EmailDetail> {
    const row = await this.repo.get(id);
    if (!row) throw new EmailNotFoundError(id);
    const [attempts, files, reports] = await Promise.all([this.repo.attempts(id), this.repo.attachmentList(id), this.reports.list(id)]);
    return {
      ...summary(row),
      text: row.text_body,
      html: row.html_body,
      headers: JSON.parse(row.headers) as Record<string, string>,
      attachments: files.map((f) => ({ filename: f.filename, contentType: f.content_type, contentId: f.content_id, size: f.size })),
      reports,
      attemptLog: attempts.map((a) => ({
        startedAt: iso(a.started_at) as string,
        finishedAt: iso(a.finished_at) as string,
        route: a.route,
        outcome: a.outcome,
        replyCode: a.reply_code,
        reply: a.reply,
        instance: a.instance,
      })),
    };
  }

  /** Sends a failed, error or cancelled e-mail again at the next campaign, with a fresh retry window. */
  async retry(id: number): Promise<void> {
    if ((await this.lifecycle.retry([id], Date.now())) === 0) await this.refuse(id, 'retry');
  }

  /**
   * Recovery from a bad day: every e-mail of `status` (failed, error or cancelled) that finished
   * — or for error, last changed — since `since`, sent again. Returns how many.
   */
  async retryMany(filter: RetryFilter, actor: string): Promise<number> {
    let total = 0;
    for (let beforeId: number | undefined; ; ) {
      const ids = await this.repo.idsFor({ ...filter, beforeId, limit: 500 });
      if (ids.length === 0) break;
      total += await this.lifecycle.retry(ids, Date.now());
      beforeId = ids[ids.length - 1];
    }
    // In the audit log beside the settings changes: who sent how much mail again, and when.
    const since = filter.since === undefined ? null : new Date(filter.since).toISOString();
    await this.store.db
      .insertInto('audit_log')
      .values({ at: Date.now(), actor, key: 'queue.retry', old_value: null, new_value: JSON.stringify({ status: filter.status, since, retried: total }), secret: 0 })
      .execute();
    return total;
  }

  /** How many e-mails retryMany would take now: for the confirmation that says how many. */
  async countRetryable(filter: RetryFilter): Promise<number> {
    return this.repo.countFor(filter);
  }

  async cancel(id: number): Promise<void> {
    if (!(await this.lifecycle.cancel(id, Date.now()))) await this.refuse(id, 'cancel');
  }

  async releaseHeld(): Promise<number> {
    return this.lifecycle.releaseHeld(Date.now());
  }

  /** Deletes finished e-mails older than the retention; `retentionDays` from the settings unless given. */
  async purge(retentionDays?: number): Promise<number> {
    const days = retentionDays ?? (await this.settings.load()).retentionDays;
    return this.repo.purge(Date.now() - days * 86_400_000);
  }

  private async refuse(id: number, verb: Verb): Promise<never> {
    const row = await this.repo.get(id);
    if (!row) throw new EmailNotFoundError(id);
    throw new EmailStateError(refusal(verb, id, row.status));
  }
}

function summary(row: EmailRow): EmailSummary {
  const to = JSON.parse(row.to_addrs) as Address[];
  const cc = JSON.parse(row.cc_addrs) as Address[];
  const bcc = JSON.parse(row.bcc_addrs) as Address[];
  const recipients = recipientViews({
    status: row.status,
    addresses: uniqueMailboxes([...to, ...cc, ...bcc]),
    recipients: row.recipients,
    reports: row.reports,
    lastReplyCode: row.last_reply_code,
    lastReply: row.last_reply,
  });
  return {
    id: row.id,
    status: row.status,
    messageId: row.message_id,
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
    sender: row.sender_email ? { email: row.sender_email, ...(row.sender_name ? { name: row.sender_name } : {}) } : null,
    to,
    cc,
    bcc,
    subject: row.subject,
    attempts: row.attempt_count,
    nextAttemptAt: row.status === 'pending' || row.status === 'error' ? iso(row.due_at) : null,
    firstFailureAt: iso(row.first_failure_at),
    finishedAt: iso(row.finished_at),
    lastReplyCode: row.last_reply_code,
    lastReply: row.last_reply,
    rejectedRecipients: row.rejected_recipients ? (JSON.parse(row.rejected_recipients) as EmailSummary['rejectedRecipients']) : [],
    recipients,
    deferred: row.status === 'error' ? deferredSummary(parseRecipients(row.recipients)) : null,
    bounced: bouncedSummary(recipients),
    source: row.source,
    scheduledAt: iso(row.send_at),
  };
}

export { FINISHED, TRANSITIONS };
