// One e-mail through the route, and what its outcome does to it: sent, deferred (all or some
// recipients), failed, or — when the route itself failed — given back untouched to wait.
import { errorMessage } from '../db/index.js';
import { NoSenderError, type OutgoingMessage, type ReportTags } from '../mail/index.js';
import {
  composeMessage,
  deferredSummary,
  mergeRecipients,
  parseRecipients,
  settledRecipients,
  type EmailLifecycle,
  type EmailRepository,
  type EmailRow,
  type Outcome,
  type RecipientOutcome,
} from '../queue/index.js';
import { DeliveryError, isPermanentReply, type DeliveryReport, type Route } from '../transports/index.js';
import { decideRetry, type BackoffPolicy } from './retry.js';
import type { SendingPolicy } from './policy.js';

export type DeliveryResult =
  | {
      outcome: 'sent' | 'retrying' | 'failed';
      kind: 'sent' | 'transient' | 'permanent';
      replyCode: number | null;
      /** retrying after the connection to the server was lost (see DeliveryError.connectionLost). */
      connectionLost?: boolean;
    }
  /** The route failed as a whole: the e-mail went back untouched. */
  | { outcome: 'released'; routeFailure: string; replyCode: number | null };

export interface DeliveryContext {
  lifecycle: EmailLifecycle;
  repo: EmailRepository;
  owner: string;
  backoff: BackoffPolicy;
  /** Tags each message so that its delivery reports can be matched (bounce processing). */
  tags: ReportTags | null;
  /**
   * Writes an outcome, trying again while the database fails (see Pipeline.persist): an outcome
   * left unrecorded is a send made again once its lease lapses. Absent: written once.
   */
  persist?: <T>(write: () => Promise<T>) => Promise<T>;
}

const once = <T>(write: () => Promise<T>) => write();

/** The message as the route will send it: the stored e-mail, its files, the sender policy, its tag. */
export async function compose(ctx: Pick<DeliveryContext, 'repo' | 'tags'>, email: EmailRow, policy: SendingPolicy): Promise<OutgoingMessage> {
  const files = email.attachment_count > 0 ? await ctx.repo.attachments(email.id) : [];
  return composeMessage(
    email,
    files.map((f) => ({ filename: f.filename, contentType: f.content_type, contentId: f.content_id, content: f.content })),
    policy.sender,
    settledRecipients(parseRecipients(email.recipients)),
    ctx.tags?.tag(email.id, email.message_id),
  );
}

/**
 * `prepared`: the message composed ahead (see Pipeline), else it is composed here.
 * `routeDone` is called once the route has finished with this e-mail and another may use it,
 * before the outcome is recorded; not after a route failure, when nothing else should be tried.
 */
export async function deliver(
  ctx: DeliveryContext,
  email: EmailRow,
  route: Route,
  policy: SendingPolicy,
  routeDone: () => void = () => undefined,
  prepared?: Promise<OutgoingMessage>,
): Promise<DeliveryResult> {
  const { lifecycle, owner } = ctx;
  const startedAt = Date.now();
  // Claimed before without an outcome recorded: the process that held it died mid-send.
  if (email.claim_count > email.attempt_count + 1) {
    await (ctx.persist ?? once)(() => lifecycle.recordInterrupted(email, startedAt, owner));
    email = { ...email, attempt_count: email.attempt_count + 1 };
  }
  const before = parseRecipients(email.recipients);
  let report: DeliveryReport;
  try {
    report = await route.send(await (prepared ?? compose(ctx, email, policy)));
  } catch (raw) {
    const failure =
      raw instanceof DeliveryError
        ? raw
        : raw instanceof NoSenderError
          ? new DeliveryError(raw.message, 'transient', 'message')
          : new DeliveryError(`internal error: ${errorMessage(raw)}`, 'transient', 'message');
    if (failure.scope === 'message') routeDone();
    return failed(ctx, email, route, policy, startedAt, failure, before);
  }
  // From here the server has the message: should recording fail, the e-mail stays 'sending'
  // and its lease expires, so it is sent again (at least once), never recorded as a failure.
  routeDone();
  return delivered(ctx, email, route, policy, startedAt, report, before);
}

async function delivered(
  ctx: DeliveryContext,
  email: EmailRow,
  route: Route,
  policy: SendingPolicy,
  startedAt: number,
  report: DeliveryReport,
  before: RecipientOutcome[],
): Promise<DeliveryResult> {
  const now = Date.now();
  const deferred = report.deferred ?? [];
  const perRecipient = before.length > 0 || report.rejected.length > 0 || deferred.length > 0;
  const recipients = perRecipient ? mergeRecipients(before, { ...report, deferred }) : null;
  const lease = { id: email.id, owner: ctx.owner };
  const attempt = { startedAt, finishedAt: now, route: route.name, outcome: 'sent' as const, replyCode: report.replyCode, reply: report.reply };
  const waiting = recipients ? deferredSummary(recipients) : null;
  if (waiting) {
    // Some recipients were deferred: the e-mail waits for them, within its retry window.
    const outcome: Outcome = { attempt: { ...attempt, outcome: 'transient', reply: waiting }, recipients };
    return retryOrExpire(ctx, email, policy, lease, outcome, now, null, report.replyCode);
  }
  // A service that changed the Message-ID: bounce reports will return its one.
  const sentMessageId = report.messageId && report.messageId !== email.message_id ? report.messageId : undefined;
  await (ctx.persist ?? once)(() => ctx.lifecycle.markSent(lease, { attempt, recipients, ...(sentMessageId ? { sentMessageId } : {}) }));
  return { outcome: 'sent', kind: 'sent', replyCode: report.replyCode };
}

async function failed(
  ctx: DeliveryContext,
  email: EmailRow,
  route: Route,
  policy: SendingPolicy,
  startedAt: number,
  failure: DeliveryError,
  before: RecipientOutcome[],
): Promise<DeliveryResult> {
  if (failure.scope === 'route') {
    // Every e-mail would meet this: this one waits untouched, like those not yet tried.
    await (ctx.persist ?? once)(() => ctx.lifecycle.release([email.id], ctx.owner, Date.now()));
    return { outcome: 'released', routeFailure: failure.message, replyCode: failure.replyCode };
  }
  const now = Date.now();
  const lease = { id: email.id, owner: ctx.owner };
  // Every recipient refused: 5xx ones for good, 4xx ones (deferred) owed another try.
  const forGood = failure.rejected.filter((r) => isPermanentReply(r.code));
  const forNow = failure.rejected.filter((r) => !isPermanentReply(r.code));
  const recipients = failure.rejected.length
    ? mergeRecipients(before, { accepted: [], rejected: forGood, deferred: forNow, reply: failure.message, replyCode: failure.replyCode })
    : before.length
      ? before
      : null;
  const attempt = { startedAt, finishedAt: now, route: route.name, replyCode: failure.replyCode, reply: failure.message };
  if (failure.kind === 'permanent') {
    await (ctx.persist ?? once)(() => ctx.lifecycle.fail(lease, { attempt: { ...attempt, outcome: 'permanent' }, recipients }));
    return { outcome: 'failed', kind: 'permanent', replyCode: failure.replyCode };
  }
  const result = await retryOrExpire(ctx, email, policy, lease, { attempt: { ...attempt, outcome: 'transient' }, recipients }, now, failure.retryAfterMs, failure.replyCode);
  return failure.connectionLost && result.outcome === 'retrying' ? { ...result, connectionLost: true } : result;
}

async function retryOrExpire(
  ctx: DeliveryContext,
  email: EmailRow,
  policy: SendingPolicy,
  lease: { id: number; owner: string },
  outcome: Outcome,
  now: number,
  retryAfterMs: number | null,
  replyCode: number | null,
): Promise<DeliveryResult> {
  const firstFailureAt = email.first_failure_at ?? now;
  const decision = decideRetry({
    now,
    firstFailureAt,
    failures: email.attempt_count + 1,
    windowMs: policy.retryWindowMs,
    campaignIntervalMs: policy.intervalMs,
    policy: ctx.backoff,
    retryAfterMs,
  });
  if ('expired' in decision) {
    const attempt = { ...outcome.attempt, reply: `retry window expired: ${outcome.attempt.reply ?? ''}` };
    await (ctx.persist ?? once)(() => ctx.lifecycle.fail(lease, { ...outcome, attempt }, firstFailureAt));
    return { outcome: 'failed', kind: 'transient', replyCode };
  }
  await (ctx.persist ?? once)(() => ctx.lifecycle.defer(lease, outcome, { retryAt: decision.retryAt, firstFailureAt }));
  return { outcome: 'retrying', kind: 'transient', replyCode };
}
