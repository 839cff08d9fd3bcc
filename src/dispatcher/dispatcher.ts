// The sending process's main loop: start, stop, wake, heartbeat. Each cycle reads the settings
// into a policy, checks the route and kicks the pipeline; maintenance runs on its own timer.
import crypto from 'node:crypto';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorMessage, type Store } from '../db/index.js';
import type { Queue } from '../queue/index.js';
import type { ReportTags } from '../mail/index.js';
import type { Problem, SettingsService } from '../settings/index.js';
import type { MicrosoftEndpoints, RouteOptions } from '../transports/index.js';
import { Maintenance } from './maintenance.js';
import { emptyTally, Pipeline, type Tally } from './pipeline.js';
import { derivePolicy, sendingBlocked, type SendingPolicy } from './policy.js';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './retry.js';
import { RouteHealth, type RouteState } from './route-health.js';
import { StatusBoard } from './status.js';
import { PollLoop } from '../jobs/index.js';

export interface DispatcherOptions {
  store: Store;
  settings: SettingsService;
  queue: Queue;
  logger: Logger;
  /**
   * How long a claimed e-mail stays this process's without news. Renewed every third of it
   * while the process lives, so a process that dies gives its e-mails back within this time.
   */
  leaseMs?: number;
  /** E-mails claimed per statement, at most. */
  batchSize?: number;
  backoff?: BackoffPolicy;
  route?: RouteOptions;
  /** Microsoft endpoints (national clouds, test stand-ins); default from the environment. */
  endpoints?: MicrosoftEndpoints;
  /**
   * On stop, how long in-flight sends may take before their e-mails are released (default 7 s:
   * the whole stop stays within the 10 s Docker gives a container before it kills it).
   */
  shutdownGraceMs?: number;
  /** Tags each message (X-Postroom-Id, envelope id) so that its delivery reports can be matched. */
  tags?: ReportTags;
}

export type CampaignOutcome =
  | { state: 'disabled' }
  | { state: 'incomplete'; problems: Problem[] }
  | { state: 'error'; message: string }
  /** The route failed its check (unreachable, bad credentials, no STARTTLS): nothing was claimed. */
  | { state: 'route-failing'; route: string; message: string; since?: string | null }
  | ({ state: 'ran' } & Tally);

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

export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 7_000;
/** After the grace, what a stop may still spend on its last writes (releasing, the instance row). */
const FINAL_WRITES_MS = 1_000;

/** `work`, or a rejection once `ms` have passed (the work goes on, unawaited). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export class Dispatcher {
  readonly instanceId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  readonly status: StatusBoard;
  lastCampaign: CampaignReport | null = null;
  private readonly log: Logger;
  private readonly leaseMs: number;
  private readonly graceMs: number;
  private readonly pipeline: Pipeline;
  private readonly health: RouteHealth;
  private readonly maintenance: Maintenance;
  private readonly observers: DispatcherObserver[] = [];
  private running = false;
  /** The cycles: one, then the policy's interval, cut short by a wake. */
  private readonly loop: PollLoop;
  private timers: NodeJS.Timeout[] = [];
  /** The policy the last cycle read: interval and wake-on-hand-over between cycles. */
  private policy: SendingPolicy | null = null;

  constructor(private readonly opts: DispatcherOptions) {
    this.log = opts.logger.child({ module: 'dispatcher', instance: this.instanceId });
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.graceMs = opts.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    this.status = new StatusBoard(opts.store);
    this.health = new RouteHealth(this.log, opts.route, opts.endpoints);
    this.loop = new PollLoop(() => this.loopCycle(), () => this.policy?.intervalMs ?? 20_000);
    this.maintenance = new Maintenance(opts.queue.lifecycle, opts.queue.repo, this.log);
    this.pipeline = new Pipeline(
      {
        lifecycle: opts.queue.lifecycle,
        repo: opts.queue.repo,
        owner: this.instanceId,
        backoff: opts.backoff ?? DEFAULT_BACKOFF,
        tags: opts.tags ?? null,
        leaseMs: this.leaseMs,
        batchSize: opts.batchSize ?? 100,
        log: this.log,
      },
      {
        stillAllowed: async () => {
          const next = derivePolicy(await this.opts.settings.load());
          return sendingBlocked(next) === null && next.routeKey === this.policy?.routeKey;
        },
        routeFailed: async (route, message) => (await this.health.failed(route, message)).ok,
        attempt: (route, result) => {
          const outcome = result.outcome === 'released' ? 'transient' : result.kind;
          this.tell((o) => o.attempt?.({ route: route.name, outcome, replyCode: result.replyCode }));
        },
      },
    );
  }

  /** How recently an instance must have reported to count as alive. */
  get aliveWithinMs(): number {
    return Math.max(60_000, 3 * (this.policy?.intervalMs ?? 20_000));
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The route's state for the console and `postroom status`. */
  routeState(): RouteState {
    return this.health.state();
  }

  /** Applies the start-up rule (hold pending e-mails if asked), then runs until stop(). */
  async start(): Promise<void> {
    if (this.running) return;
    const startedAt = Date.now();
    this.policy = derivePolicy(await this.opts.settings.load());
    if (this.policy.skipPendingAtStartup) {
      // With other instances running, the pending e-mails are theirs to send: this is not a
      // start-up of the service, only of one more process.
      const others = (await this.status.list(startedAt, this.aliveWithinMs)).filter((i) => i.alive);
      if (others.length === 0) {
        const held = await this.opts.queue.lifecycle.hold(startedAt + 1, startedAt);
        if (held > 0) this.log.warn({ held }, 'e-mails pending at start-up put on hold (release them in the outbox)');
      } else {
        this.log.info({ others: others.length }, 'other instances are running: pending e-mails are not held');
      }
    }
    await this.status.register(this.instanceId, startedAt);
    // The sending process writes for as long as it runs: its commits must not wait for checkpoints.
    this.opts.store.sqlite?.checkpointInBackground();
    this.running = true;
    this.timers = [setInterval(() => void this.sayAlive(), Math.max(500, Math.floor(this.leaseMs / 3)))];
    for (const t of this.timers) t.unref();
    this.scheduleMaintenance();
    this.loop.start();
    this.log.info('sending process started');
  }

  /** Stops claiming, lets in-flight sends finish within the grace period, releases the rest. */
  async stop(): Promise<void> {
    if (!this.running) {
      // Cycles may have been run by hand: still close the pooled connections.
      await this.health.close();
      return;
    }
    this.running = false;
    const cycleDone = this.loop.stop();
    // One budget for the whole stop: a cycle checking a route that hangs, or sends the relay does
    // not answer, take from it; what is still at the server when it runs out is cut off.
    const grace = new AbortController();
    const graceOver = sleep(this.graceMs, false, { signal: grace.signal }).catch(() => false);
    await Promise.race([cycleDone, graceOver]);
    await Promise.race([this.pipeline.pause(), graceOver]);
    const finished = await Promise.race([this.pipeline.idle().then(() => true), graceOver]);
    grace.abort();
    for (const t of this.timers) clearTimeout(t);
    if (!finished) {
      // Sends the relay has not answered are cut off: each e-mail's log says it may or may not
      // have arrived, and it is sent again (recognisable by its Message-ID).
      const cut = this.pipeline.sendsAtServer;
      this.pipeline.abandon();
      this.log.warn({ held: this.pipeline.held.length, cutOff: cut.length }, 'in-flight sends did not finish within the shutdown grace: released');
      const reply = `Postroom stopped while this e-mail was at the server, which had not answered within the ${Math.round(this.graceMs / 1000)} s shutdown grace: it may or may not have been delivered; sending again`;
      await within(FINAL_WRITES_MS, this.opts.queue.lifecycle.releaseCutOff(this.pipeline.held, cut, this.instanceId, Date.now(), reply)).catch((err: unknown) => {
        this.log.warn({ err: errorMessage(err) }, 'could not release the e-mails held; they are due again when their leases lapse');
      });
      this.pipeline.dropLeases();
    }
    // The last writes get a moment, not the database's own timeouts (a database gone at the stop).
    await within(FINAL_WRITES_MS, this.maintenance.settle()).catch(() => undefined);
    await this.health.close();
    await within(FINAL_WRITES_MS, this.status.stopped(this.instanceId, Date.now())).catch(() => undefined);
    this.log.info('sending process stopped');
  }

  observe(observer: DispatcherObserver): void {
    this.observers.push(observer);
  }

  /** Looks for due e-mails now instead of at the end of the interval. */
  wake(): void {
    this.loop.wake();
  }

  /** An e-mail was handed over (or retried): send it now if the settings ask for that. */
  handedOver(): void {
    if (this.policy?.wakeOnHandOver) this.wake();
  }

  /**
   * One whole campaign, as run by hand (tests, `postroom` tools): maintenance, then sending
   * until nothing due is left and every send has finished. Never throws.
   */
  async runCampaign(): Promise<CampaignReport> {
    const started = Date.now();
    let expired = 0;
    let outcome: CampaignOutcome;
    try {
      const policy = derivePolicy(await this.opts.settings.load());
      expired = await this.maintenance.run(policy, started);
      outcome = await this.cycle(policy);
      if (outcome.state === 'ran') {
        await this.pipeline.idle();
        outcome = this.ranOrFault();
      }
    } catch (err) {
      outcome = this.failedCycle(err);
    }
    return this.report(started, expired, outcome);
  }

  /** One cycle of the loop, its report recorded with the heartbeat. Never throws. */
  private async loopCycle(): Promise<void> {
    const started = Date.now();
    let outcome: CampaignOutcome;
    try {
      outcome = await this.cycle(derivePolicy(await this.opts.settings.load()));
      // The pipeline goes on by itself; this reports what it did since the last cycle.
      if (outcome.state === 'ran') outcome = this.ranOrFault();
    } catch (err) {
      outcome = this.failedCycle(err);
    }
    const report = this.report(started, 0, outcome);
    await this.status.heartbeat(this.instanceId, Date.now(), report).catch((err: unknown) => {
      this.log.warn({ err: errorMessage(err) }, 'could not record the campaign status');
    });
  }

  /** Reads the policy, checks the route, and sets the pipeline going (or stops it). */
  private async cycle(policy: SendingPolicy): Promise<CampaignOutcome> {
    this.policy = policy;
    const blocked = sendingBlocked(policy);
    if (blocked) {
      await this.pipeline.pause();
      return blocked;
    }
    const check = await this.health.ready(policy);
    if (!check.ok) {
      await this.pipeline.pause();
      this.health.retire();
      return { state: 'route-failing', route: check.route.description, message: check.message, since: this.health.state().since };
    }
    this.pipeline.kick(policy, check.route);
    if (check.recovered) await this.pipeline.routeRecovered();
    this.health.retire();
    return { state: 'ran', ...emptyTally() };
  }

  private ranOrFault(): CampaignOutcome {
    const fault = this.pipeline.fault;
    this.pipeline.fault = null;
    const tally = this.pipeline.takeTally();
    if (fault) return this.failedCycle(fault);
    if (tally.routeFailure) this.log.warn({ reason: tally.routeFailure }, 'route failed: sending stopped, e-mails wait');
    return { state: 'ran', ...tally };
  }

  private failedCycle(err: unknown): CampaignOutcome {
    this.log.error({ err: errorMessage(err) }, 'sending cycle failed; the next one will try again');
    return { state: 'error', message: errorMessage(err) };
  }

  private report(started: number, expired: number, outcome: CampaignOutcome): CampaignReport {
    const report = { startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, expired, outcome };
    this.lastCampaign = report;
    this.tell((o) => o.campaign?.(report));
    if (outcome.state === 'ran' && outcome.claimed > 0) this.log.info(report, 'campaign done');
    return report;
  }

  private scheduleMaintenance(): void {
    const timer = setTimeout(async () => {
      try {
        const policy = derivePolicy(await this.opts.settings.load());
        const expired = await this.maintenance.run(policy);
        if (expired && this.lastCampaign) this.lastCampaign = { ...this.lastCampaign, expired: this.lastCampaign.expired + expired };
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'maintenance failed; it runs again at the next interval');
      }
      if (this.running) this.scheduleMaintenance();
    }, this.policy?.intervalMs ?? 20_000);
    timer.unref();
    this.timers.push(timer);
  }

  /** Says this process is alive, for `postroom status` and the other instances. */
  private async sayAlive(): Promise<void> {
    await this.status.heartbeat(this.instanceId, Date.now()).catch((err: unknown) => {
      this.log.warn({ err: errorMessage(err) }, 'could not record the heartbeat');
    });
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
}
