// The sending process: one loop that runs a campaign every campaignIntervalSeconds. A campaign
// purges, expires retry windows, then claims due e-mails in paced batches and delivers them.
import crypto from 'node:crypto';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import { writeTransaction, errorMessage, type Store } from '../db/index.js';
import { composeMessage, NoSenderError, type EmailRow, type Queue } from '../queue/index.js';
import { findProblems, type EmailSettings, type Problem, type SettingsService } from '../settings/index.js';
import { createRoute, routeFingerprint, DeliveryError, type MicrosoftEndpoints, type Route, type RouteOptions } from '../transports/index.js';
import { decideRetry, DEFAULT_BACKOFF, type BackoffPolicy } from './retry.js';
import { StatusBoard } from './status.js';

export interface DispatcherOptions {
  store: Store;
  settings: SettingsService;
  queue: Queue;
  logger: Logger;
  /** How long a claimed e-mail stays ours without news; renewed while a send is in progress. */
  leaseMs?: number;
  /** E-mails claimed per statement. */
  batchSize?: number;
  backoff?: BackoffPolicy;
  route?: RouteOptions;
  /** Microsoft endpoints (national clouds, test stand-ins); default from the environment. */
  endpoints?: MicrosoftEndpoints;
  /** On stop, how long in-flight sends may take before their e-mails are released. */
  shutdownGraceMs?: number;
}

export type CampaignOutcome =
  | { state: 'disabled' }
  | { state: 'incomplete'; problems: Problem[] }
  | { state: 'error'; message: string }
  /** The route failed its check (unreachable, bad credentials, no STARTTLS): nothing was claimed. */
  | { state: 'route-failing'; route: string; message: string }
  | {
      state: 'ran';
      claimed: number;
      sent: number;
      retrying: number;
      failed: number;
      released: number;
      /** Set when the campaign stopped early because the route itself failed. */
      routeFailure: string | null;
    };

export interface CampaignReport {
  startedAt: string;
  durationMs: number;
  expired: number;
  outcome: CampaignOutcome;
}

/** Told of each attempt and each campaign (metrics listen here). */
export interface DispatcherObserver {
  attempt?(e: { route: string; outcome: 'sent' | 'transient' | 'permanent'; replyCode: number | null }): void;
  campaign?(report: CampaignReport): void;
}

const PACING_LOCK = 0x706f7374; // "post": serialises budget-and-claim across instances
const PURGE_LOCK = 0x70757267; // "purg": one instance purges at a time

export class Dispatcher {
  readonly instanceId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  private readonly log: Logger;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly backoff: BackoffPolicy;
  private readonly graceMs: number;
  private running = false;
  /** Set by stop(): campaigns, even one run by hand, claim nothing more. */
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wakeUp: AbortController | null = null;
  /** A wake-up that came while a campaign ran: it may have claimed before the new e-mail came. */
  private wakePending = false;
  /** The `wakeOnHandOver` setting as the last campaign read it. */
  private wakeOnHandOver = false;
  private lastPurgeAt = 0;
  private intervalMs = 20_000;
  private route: { key: string; route: Route } | null = null;
  /**
   * Set when the route last failed as a whole. While set, each campaign first checks the
   * route without sending, so a wrong password or a server that is down costs no e-mail.
   */
  private routeFault: string | null = null;
  private routeVerified = false;
  private purging: Promise<void> | null = null;
  private readonly inFlight = new Set<number>();
  private heartbeat: NodeJS.Timeout | null = null;
  lastCampaign: CampaignReport | null = null;
  private readonly observers: DispatcherObserver[] = [];
  readonly status: StatusBoard;

  constructor(private readonly opts: DispatcherOptions) {
    this.log = opts.logger.child({ module: 'dispatcher', instance: this.instanceId });
    this.leaseMs = opts.leaseMs ?? 300_000;
    this.batchSize = opts.batchSize ?? 100;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.graceMs = opts.shutdownGraceMs ?? 30_000;
    this.status = new StatusBoard(opts.store);
  }

  /** How recently an instance must have reported to count as alive. */
  get aliveWithinMs(): number {
    return Math.max(60_000, 3 * this.intervalMs);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Applies the start-up rule (hold pending e-mails if asked), then runs campaigns until stop(). */
  async start(): Promise<void> {
    if (this.running) return;
    const startedAt = Date.now();
    const settings = await this.opts.settings.load();
    this.intervalMs = settings.campaignIntervalSeconds * 1000;
    this.wakeOnHandOver = settings.wakeOnHandOver;
    if (settings.skipPendingAtStartup) {
      // With other instances running, the pending e-mails are theirs to send: this is not a
      // start-up of the service, only of one more process.
      const others = (await this.status.list(startedAt, this.aliveWithinMs)).filter((i) => i.alive);
      if (others.length === 0) {
        const held = await this.opts.queue.repo.holdPending(startedAt + 1, startedAt);
        if (held > 0) this.log.warn({ held }, 'e-mails pending at start-up put on hold (release them in the outbox)');
      } else {
        this.log.info({ others: others.length }, 'other instances are running: pending e-mails are not held');
      }
    }
    await this.status.register(this.instanceId, startedAt);
    this.running = true;
    this.stopping = false;
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(1000, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
    this.loop = this.runLoop();
    this.log.info('sending process started');
  }

  /** Stops claiming, lets in-flight sends finish within the grace period, releases the rest. */
  async stop(): Promise<void> {
    if (!this.running) {
      // Campaigns may have been run by hand: still close the pooled connections.
      await this.route?.route.close();
      this.route = null;
      return;
    }
    this.running = false;
    this.stopping = true;
    this.wakeUp?.abort();
    const grace = new AbortController();
    const finished = await Promise.race([
      this.loop?.then(() => true),
      sleep(this.graceMs, false, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort();
    if (!finished) this.log.warn({ inFlight: this.inFlight.size }, 'in-flight sends did not finish in time: released');
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.opts.queue.repo.release([...this.inFlight], this.instanceId, Date.now());
    this.inFlight.clear();
    await this.purging;
    await this.route?.route.close();
    this.route = null;
    await this.status.stopped(this.instanceId, Date.now()).catch(() => undefined);
    this.log.info('sending process stopped');
  }

  observe(observer: DispatcherObserver): void {
    this.observers.push(observer);
  }

  private tell(fn: (o: DispatcherObserver) => void): void {
    for (const o of this.observers) {
      try {
        fn(o);
      } catch {
        // an observer's fault must never stop sending
      }
    }
  }

  /** Runs the next campaign now instead of at the end of the interval. */
  wake(): void {
    this.wakePending = true;
    this.wakeUp?.abort();
  }

  /** An e-mail was handed over (or retried): send it now if the settings ask for that. */
  handedOver(): void {
    if (this.wakeOnHandOver) this.wake();
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      const report = await this.runCampaign();
      await this.status.heartbeat(this.instanceId, Date.now(), report).catch((err: unknown) => {
        this.log.warn({ err: errorMessage(err) }, 'could not record the campaign status');
      });
      if (!this.running) break;
      if (this.wakePending) continue;
      this.wakeUp = new AbortController();
      await sleep(this.intervalMs, undefined, { signal: this.wakeUp.signal }).catch(() => undefined);
    }
  }

  /** One campaign. Never throws: a failing database is logged and the next campaign tries again. */
  async runCampaign(): Promise<CampaignReport> {
    const started = Date.now();
    let expired = 0;
    let outcome: CampaignOutcome;
    this.wakePending = false;
    try {
      const settings = await this.opts.settings.load();
      this.intervalMs = settings.campaignIntervalSeconds * 1000;
      this.wakeOnHandOver = settings.wakeOnHandOver;
      // Woken campaigns can follow each other closely; the purge keeps to the interval.
      if (started - this.lastPurgeAt >= this.intervalMs) {
        this.lastPurgeAt = started;
        this.startPurge(settings.retentionDays);
      }
      expired = await this.opts.queue.repo.expireRetryWindow(settings.maxRetrySeconds * 1000, started);
      if (expired) this.log.info({ expired }, 'retry window expired: e-mails failed');
      outcome = await this.deliverDue(settings);
    } catch (err) {
      outcome = { state: 'error', message: errorMessage(err) };
      this.log.error({ err: errorMessage(err) }, 'campaign failed; the next one will try again');
    }
    const report = { startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, expired, outcome };
    this.lastCampaign = report;
    this.tell((o) => o.campaign?.(report));
    if (outcome.state === 'ran' && outcome.claimed > 0) this.log.info(report, 'campaign done');
    return report;
  }

  private async deliverDue(settings: EmailSettings): Promise<CampaignOutcome> {
    if (!settings.enabled) return { state: 'disabled' };
    const problems = findProblems(settings);
    if (problems.length) return { state: 'incomplete', problems };
    const route = await this.routeFor(settings);
    if (!this.routeVerified || this.routeFault) {
      try {
        await route.verify();
        if (this.routeFault) this.log.info({ route: route.description }, 'route works again');
        this.routeFault = null;
        this.routeVerified = true;
      } catch (err) {
        const message = errorMessage(err);
        if (message !== this.routeFault) this.log.warn({ route: route.description, reason: message }, 'route failing: e-mails wait');
        this.routeFault = message;
        return { state: 'route-failing', route: route.description, message };
      }
    }
    const tally = { claimed: 0, sent: 0, retrying: 0, failed: 0, released: 0, routeFailure: null as string | null };
    const concurrency = settings.smtpMaxConnections;
    const routeKey = routeFingerprint(settings);
    for (let first = true; !this.stopping; first = false) {
      // A long campaign re-reads the settings between batches: disabling sending or changing
      // the route takes effect within a batch, not after the whole backlog.
      if (!first) {
        settings = await this.opts.settings.load();
        if (!settings.enabled || findProblems(settings).length || routeFingerprint(settings) !== routeKey) break;
      }
      const batch = await this.claimBatch(settings);
      if (batch.length === 0) break;
      tally.claimed += batch.length;
      let next = 0;
      // A database failure stops every worker of the batch, not only the one that met it.
      let fault = null as { err: unknown } | null;
      const worker = async () => {
        while (next < batch.length && tally.routeFailure === null && fault === null && !this.stopping) {
          const email = batch[next++] as EmailRow;
          try {
            const result = await this.deliver(email, route, settings);
            tally[result.outcome]++;
            if (result.routeFailure) tally.routeFailure = result.routeFailure;
          } catch (err) {
            fault ??= { err };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
      // What this campaign claimed but did not start goes back untouched. It leaves inFlight in
      // any case: kept there, the heartbeat would renew its lease for as long as the process lives.
      const untouched = batch.slice(next).map((e) => e.id);
      for (const id of untouched) this.inFlight.delete(id);
      if (untouched.length) {
        try {
          await this.opts.queue.repo.release(untouched, this.instanceId, Date.now());
          tally.released += untouched.length;
        } catch (err) {
          // The database is gone: their leases expire instead, and a later claim takes them.
          fault ??= { err };
        }
      }
      if (fault) throw fault.err;
      if (tally.routeFailure) {
        this.routeFault = tally.routeFailure;
        this.log.warn({ route: route.description, reason: tally.routeFailure }, 'route failed: campaign stopped, e-mails wait');
        break;
      }
      if (batch.length < this.batchSize) break;
    }
    return { state: 'ran', ...tally };
  }

  /** Budget and claim in one transaction, serialised across instances when pacing is on. */
  private async claimBatch(settings: EmailSettings): Promise<EmailRow[]> {
    const { store, queue } = this.opts;
    const now = Date.now();
    const rows = await writeTransaction(store, async (trx) => {
      let limit = this.batchSize;
      if (settings.maxMessagesPerMinute > 0) {
        if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${PACING_LOCK})`.execute(trx);
        const spent = await queue.repo.sendsInLastMinute(trx, now);
        limit = Math.min(limit, settings.maxMessagesPerMinute - spent);
      }
      return queue.repo.claim(trx, this.instanceId, now, this.leaseMs, limit);
    });
    for (const r of rows) this.inFlight.add(r.id);
    return rows;
  }

  private async deliver(
    email: EmailRow,
    route: Route,
    settings: EmailSettings,
  ): Promise<{ outcome: 'sent' | 'retrying' | 'failed'; routeFailure?: string }> {
    const repo = this.opts.queue.repo;
    const startedAt = Date.now();
    let delivered = false;
    try {
      // Claimed before without an attempt recorded: the process that held it died mid-send.
      if (email.claim_count > email.attempt_count + 1) {
        await repo.recordInterrupted(email, startedAt, this.instanceId);
        email = { ...email, attempt_count: email.attempt_count + 1 };
      }
      const files = email.attachment_count > 0 ? await repo.attachments(email.id) : [];
      const message = composeMessage(
        email,
        files.map((f) => ({ filename: f.filename, contentType: f.content_type, contentId: f.content_id, content: f.content })),
        settings,
      );
      const report = await route.send(message);
      delivered = true;
      const now = Date.now();
      await repo.finishAttempt(
        email.id,
        this.instanceId,
        { startedAt, finishedAt: now, route: route.name, outcome: 'sent', replyCode: report.replyCode, reply: report.reply },
        {
          status: 'sent',
          due_at: null,
          finished_at: now,
          rejected_recipients: report.rejected.length ? JSON.stringify(report.rejected) : null,
        },
      );
      this.tell((o) => o.attempt?.({ route: route.name, outcome: 'sent', replyCode: report.replyCode }));
      if (report.rejected.length) this.log.warn({ id: email.id, rejected: report.rejected }, 'sent, but some recipients were refused');
      return { outcome: 'sent' };
    } catch (raw) {
      // The server accepted it but the database did not take the news: recorded as a failure, it
      // would be sent again as a retry. Left 'sending', its lease expires and the next claim
      // records the interrupted send before sending it again (at least once).
      if (delivered) throw raw;
      const failure =
        raw instanceof DeliveryError
          ? raw
          : raw instanceof NoSenderError
            ? new DeliveryError(raw.message, 'transient', 'message')
            : new DeliveryError(`internal error: ${errorMessage(raw)}`, 'transient', 'message');
      return this.recordFailure(email, route, settings, startedAt, failure);
    } finally {
      this.inFlight.delete(email.id);
    }
  }

  private async recordFailure(email: EmailRow, route: Route, settings: EmailSettings, startedAt: number, failure: DeliveryError) {
    const now = Date.now();
    const attempt = { startedAt, finishedAt: now, route: route.name, replyCode: failure.replyCode, reply: failure.message };
    const routeFailure = failure.scope === 'route' ? failure.message : undefined;
    this.tell((o) => o.attempt?.({ route: route.name, outcome: failure.kind, replyCode: failure.replyCode }));
    if (failure.kind === 'permanent') {
      await this.opts.queue.repo.finishAttempt(email.id, this.instanceId, { ...attempt, outcome: 'permanent' }, {
        status: 'failed',
        due_at: null,
        finished_at: now,
      });
      this.log.warn({ id: email.id, reply: failure.message }, 'e-mail failed permanently');
      return { outcome: 'failed' as const, routeFailure };
    }
    const firstFailureAt = email.first_failure_at ?? now;
    const decision = decideRetry({
      now,
      firstFailureAt,
      failures: email.attempt_count + 1,
      windowMs: settings.maxRetrySeconds * 1000,
      campaignIntervalMs: settings.campaignIntervalSeconds * 1000,
      policy: this.backoff,
      retryAfterMs: failure.retryAfterMs,
    });
    if ('expired' in decision) {
      await this.opts.queue.repo.finishAttempt(
        email.id,
        this.instanceId,
        { ...attempt, outcome: 'transient', reply: `retry window expired: ${failure.message}` },
        { status: 'failed', due_at: null, finished_at: now, first_failure_at: firstFailureAt },
      );
      return { outcome: 'failed' as const, routeFailure };
    }
    await this.opts.queue.repo.finishAttempt(email.id, this.instanceId, { ...attempt, outcome: 'transient' }, {
      status: 'error',
      due_at: decision.retryAt,
      first_failure_at: firstFailureAt,
    });
    this.log.info({ id: email.id, reply: failure.message, retryAt: new Date(decision.retryAt).toISOString() }, 'e-mail deferred');
    return { outcome: 'retrying' as const, routeFailure };
  }

  private async routeFor(settings: EmailSettings): Promise<Route> {
    const key = routeFingerprint(settings);
    if (this.route?.key === key) return this.route.route;
    await this.route?.route.close();
    const route = createRoute(settings, this.opts.route, this.opts.endpoints);
    this.route = { key, route };
    this.routeVerified = false;
    this.routeFault = null;
    this.log.info({ route: route.description }, 'route ready');
    return route;
  }

  private startPurge(retentionDays: number): void {
    if (this.purging) return;
    const { store } = this.opts;
    this.purging = (async () => {
      try {
        if (store.dialect === 'postgres') {
          // The advisory lock belongs to a session, so it is taken and given back on one pinned
          // connection while the purge's own batches run on the others.
          await store.db.connection().execute(async (conn) => {
            const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${PURGE_LOCK}) as ok`.execute(conn);
            if (!got.rows[0]?.ok) return;
            try {
              await this.purgeNow(retentionDays);
            } finally {
              await sql`select pg_advisory_unlock(${PURGE_LOCK})`.execute(conn);
            }
          });
        } else {
          await this.purgeNow(retentionDays);
        }
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'purge failed; the next campaign tries again');
      } finally {
        this.purging = null;
      }
    })();
  }

  private async purgeNow(retentionDays: number): Promise<void> {
    const purged = await this.opts.queue.repo.purge(Date.now() - retentionDays * 86_400_000);
    if (purged) this.log.info({ purged, retentionDays }, 'finished e-mails purged');
  }

  private async renewLeases(): Promise<void> {
    if (this.inFlight.size === 0) return;
    try {
      await this.opts.queue.repo.renewLeases([...this.inFlight], this.instanceId, Date.now() + this.leaseMs);
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'lease renewal failed');
    }
  }
}
