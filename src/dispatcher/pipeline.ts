// Sending as a continuous pipeline: each free slot (at most smtpMaxConnections) takes the next
// claimed e-mail at once, and claims refill as slots free, paced by maxMessagesPerMinute. A send
// that hangs costs one slot, never the queue.
import type { Logger } from 'pino';
import { errorMessage, storageFault } from '../db/index.js';
import type { EmailRow } from '../queue/index.js';
import type { Route } from '../transports/index.js';
import type { OutgoingMessage } from '../mail/index.js';
import { compose, deliver, type DeliveryContext, type DeliveryResult } from './delivery.js';
import type { SendingPolicy } from './policy.js';
import { Leases } from '../jobs/index.js';
import { setTimeout as sleepFor } from 'node:timers/promises';

/** Waits, or ends at once (without throwing) when `signal` aborts. */
const sleep = (ms: number, signal: AbortSignal) => sleepFor(ms, undefined, { signal }).catch(() => undefined);

export interface Tally {
  claimed: number;
  sent: number;
  retrying: number;
  failed: number;
  released: number;
  /** Set when sending stopped because the route itself failed. */
  routeFailure: string | null;
}

export interface PipelineHooks {
  /** Before each refill after the first: false when sending must stop (disabled, route changed). */
  stillAllowed(): Promise<boolean>;
  /** A send met a failure every e-mail would meet; resolves true when the route works again. */
  routeFailed(route: Route, message: string): Promise<boolean>;
  attempt(route: Route, result: DeliveryResult): void;
}

/**
 * Outcomes being written per slot before the pipeline waits for the database to catch up. Should
 * the database go away, the sends whose outcomes were being written (and the ones in flight) are
 * sent again once their leases lapse: at most smtpMaxConnections × (1 + this) possible duplicates.
 */
export const OUTCOMES_IN_WRITING_PER_SLOT = 4;

/**
 * Buffered e-mails per slot whose messages are composed and built ahead (on the MIME thread) while
 * the slots send, so that a freed connection starts its next transaction at once. Only e-mails
 * without files: their messages are small, and a file is read from the database when it is sent.
 */
export const PREPARED_AHEAD_PER_SLOT = 2;

export const emptyTally = (): Tally => ({ claimed: 0, sent: 0, retrying: 0, failed: 0, released: 0, routeFailure: null });

/**
 * After a storage fault (a claim, an outcome or a lease renewal the database did not take) no new
 * send starts for this long, doubling with each fault in a row up to the cap: a database that keeps
 * dropping its connections must not see a fresh batch of sends after each drop.
 */
const HOLD_BASE_MS = 500;
const HOLD_CAP_MS = 8_000;
/** Faults further apart than this start the hold over from its base. */
const CALM_MS = 10_000;
/** Once the database takes a write again, sending resumes this soon (not at the end of a long hold). */
const SETTLE_MS = 1_000;
/** An unrecorded outcome is written again after 100 ms, 200 ms, … at most this long apart. */
const PERSIST_CAP_MS = 2_000;

export class Pipeline {
  /** Claimed, not started, oldest due first. */
  private buffer: EmailRow[] = [];
  /** Messages composed ahead for the first buffered e-mails, by e-mail id (see PREPARED_AHEAD_PER_SLOT). */
  private readonly ahead = new Map<number, Promise<OutgoingMessage>>();
  /** Sends holding a slot (a connection). */
  private inFlight = 0;
  /** The e-mails of those sends: at the server now, their outcome unknown. */
  private readonly atServer = new Set<number>();
  /** Sends done whose outcome is being written: they hold no slot, but the pipeline is busy. */
  private recording = 0;
  private refilling: Promise<void> | null = null;
  /** The last claim found fewer due e-mails than asked: nothing to do until the next kick. */
  private exhausted = true;
  /** Set by pause() until the next kick(): stop, disabled, route failing. */
  private halted = true;
  /** Set while the route is checked again after a route failure in a send. */
  private paused = false;
  private policy: SendingPolicy | null = null;
  private route: Route | null = null;
  private tally = emptyTally();
  private idleWaiters: (() => void)[] = [];
  /** Every e-mail this process holds (buffered or in flight), renewed every third of a lease. */
  private readonly leases: Leases;
  /** A database error met by a refill or an outcome: reported once by the next cycle. */
  fault: unknown = null;
  /** Outcomes whose write failed and is being tried again: no new send starts while one waits. */
  private unrecorded = 0;
  /** No new send starts before this time (see HOLD_BASE_MS). */
  private heldUntil = 0;
  private faultsInARow = 0;
  private lastFaultAt = 0;
  private holdTimer: NodeJS.Timeout | null = null;
  /** Set when the process gives up its e-mails (stop): unrecorded outcomes are left to their leases. */
  private readonly abandoned = new AbortController();
  /**
   * E-mails whose send a lost connection cut off (a relay restarting), by id, with when: tried again
   * as soon as the route works again, once each, instead of after the back-off (see routeRecovered).
   */
  private readonly cutOff = new Map<number, number>();
  private readonly broughtForward = new Set<number>();

  constructor(
    private readonly ctx: DeliveryContext & { leaseMs: number; batchSize: number; log: Logger },
    private readonly hooks: PipelineHooks,
  ) {
    this.ctx = { ...ctx, persist: (write) => this.persist(write) };
    this.leases = new Leases({
      leaseMs: ctx.leaseMs,
      // Guarded by the owner: an e-mail another instance took after a lapse is not renewed.
      renew: (ids, until) => this.ctx.lifecycle.renew(ids, this.ctx.owner, until),
      onRenewed: () => this.storageAnswers(),
      onRenewFailed: (err) => {
        // Leases not renewed may lapse: nothing new starts until the database answers again.
        if (storageFault(err)) this.storageFault(err);
        this.ctx.log.warn({ err: errorMessage(err) }, 'lease renewal failed');
      },
    });
  }

  /**
   * Writes an outcome, and while the database fails, writes it again (the e-mail keeps its lease,
   * renewed as long as the process lives): abandoned to the lease, a send made but not recorded is
   * made again, and a database that drops its connections every second would multiply those.
   */
  private async persist<T>(write: () => Promise<T>): Promise<T> {
    let waiting = false;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const done = await write();
          if (waiting) this.storageAnswers();
          return done;
        } catch (err) {
          if (!storageFault(err) || this.abandoned.signal.aborted) throw err;
          if (!waiting) {
            // One fault for the hold, however many times this outcome is tried again.
            waiting = true;
            this.unrecorded++;
            this.storageFault(err);
            this.ctx.log.warn({ err: errorMessage(err) }, 'an outcome could not be recorded; writing it again (no new send starts meanwhile)');
          }
          await sleep(Math.min(PERSIST_CAP_MS, 100 * 2 ** attempt), this.abandoned.signal);
        }
      }
    } finally {
      if (waiting) {
        this.unrecorded--;
        this.pump();
      }
    }
  }

  /** The database failed a write of this pipeline: hold new sends, longer for each fault in a row. */
  private storageFault(err: unknown): void {
    const now = Date.now();
    this.faultsInARow = now - this.lastFaultAt > CALM_MS ? 1 : this.faultsInARow + 1;
    this.lastFaultAt = now;
    this.heldUntil = Math.max(this.heldUntil, now + Math.min(HOLD_CAP_MS, HOLD_BASE_MS * 2 ** (this.faultsInARow - 1)));
    this.fault ??= err;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      this.pump();
    }, this.heldUntil - now);
    this.holdTimer.unref();
  }

  /** The database took a write again: the hold ends after a short settling time. */
  private storageAnswers(): void {
    const now = Date.now();
    if (this.heldUntil <= now + SETTLE_MS) return;
    this.heldUntil = now + SETTLE_MS;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      this.pump();
    }, SETTLE_MS);
    this.holdTimer.unref();
  }

  /** New sends wait: an outcome is not recorded yet, or the database failed a moment ago. */
  private get storageHeld(): boolean {
    return this.unrecorded > 0 || Date.now() < this.heldUntil;
  }

  /** The process gives up what it holds (a stop past its grace): outcomes still unwritten are left to their leases. */
  abandon(): void {
    this.abandoned.abort();
    if (this.holdTimer) clearTimeout(this.holdTimer);
  }

  get busy(): boolean {
    return this.inFlight > 0 || this.recording > 0 || this.buffer.length > 0 || this.refilling !== null;
  }

  /** Sends what is due with this policy and route, refilling until nothing more is due. */
  kick(policy: SendingPolicy, route: Route): void {
    // Composed with the sender policy and built for the route they were prepared with: kept
    // only while both are the same (each cycle reads a new, usually equal, policy).
    const sender = this.policy?.sender;
    if (route !== this.route || sender?.postmaster !== policy.sender.postmaster || sender.forcePostmaster !== policy.sender.forcePostmaster) {
      this.ahead.clear();
    }
    this.policy = policy;
    this.route = route;
    this.halted = false;
    this.paused = false;
    this.exhausted = false;
    this.pump();
  }

  /** Starts nothing more; what was claimed and not started goes back untouched. */
  async pause(): Promise<void> {
    this.halted = true;
    await this.refilling;
    const untouched = this.buffer.splice(0).map((e) => e.id);
    this.ahead.clear();
    this.leases.drop(untouched);
    try {
      await this.ctx.lifecycle.release(untouched, this.ctx.owner, Date.now());
      this.tally.released += untouched.length;
    } catch (err) {
      // The database is gone: their leases expire instead, and a later claim takes them.
      this.fault ??= err;
    }
    this.settleIdle();
  }

  /** Resolves when nothing is in flight, buffered or being claimed. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** What happened since the last call. */
  takeTally(): Tally {
    const t = this.tally;
    this.tally = emptyTally();
    return t;
  }

  /** Forgets every lease (a stop released them): no renewal goes on. */
  dropLeases(): void {
    this.leases.clear();
  }

  /** Every e-mail this process holds, for a stop that must release what did not finish. */
  get held(): number[] {
    return this.leases.ids;
  }

  /** The e-mails whose send is at the server now (no answer yet), for a stop that cuts them off. */
  get sendsAtServer(): number[] {
    return [...this.atServer];
  }

  private pump(): void {
    const policy = this.policy;
    if (!policy || !this.route) return;
    const lapsed: number[] = [];
    // Outcomes still being written are bounded too, should the database fall behind the route.
    const room = () => this.inFlight < policy.slots && this.recording < policy.slots * OUTCOMES_IN_WRITING_PER_SLOT;
    while (!this.halted && !this.paused && !this.storageHeld && room() && this.buffer.length > 0) {
      const email = this.buffer.shift() as EmailRow;
      // Its lease lapsed while it waited (renewal could not reach the database): another process
      // may hold it now, so this one must not send it; given back if it is still ours.
      if (!this.leases.covers(email.id, Date.now())) {
        this.leases.drop([email.id]);
        this.ahead.delete(email.id);
        lapsed.push(email.id);
        continue;
      }
      this.start(email, this.route, policy);
    }
    if (!this.halted && !this.paused) this.prepareAhead(this.route, policy);
    // A slot is free, an e-mail is waiting, and only outcomes being gathered hold it back: the
    // gathering (worth it while nobody waits) is cut short.
    if (!this.halted && !this.paused && this.buffer.length > 0 && this.inFlight < policy.slots) this.ctx.lifecycle.flushOutcomes();
    if (lapsed.length) void this.ctx.lifecycle.release(lapsed, this.ctx.owner, Date.now()).catch(() => undefined);
    if (!this.halted && !this.paused && !this.storageHeld && !this.exhausted && this.refilling === null && this.buffer.length < policy.slots) {
      this.refilling = this.refill(policy).finally(() => {
        this.refilling = null;
        this.pump();
      });
    }
    this.settleIdle();
  }

  private async refill(policy: SendingPolicy): Promise<void> {
    try {
      if (this.tally.claimed > 0 && !(await this.hooks.stillAllowed())) {
        this.exhausted = true;
        return;
      }
      const want = Math.max(policy.slots, this.ctx.batchSize - this.buffer.length);
      const now = Date.now();
      const rows = await this.ctx.lifecycle.claim(this.ctx.owner, now, this.ctx.leaseMs, want, policy.maxPerMinute);
      this.leases.hold(rows.map((r) => r.id), now);
      this.tally.claimed += rows.length;
      this.buffer.push(...rows);
      if (rows.length < want) this.exhausted = true;
    } catch (err) {
      if (storageFault(err)) {
        // Tried again once the hold is over (or by the next cycle), not abandoned until then.
        this.storageFault(err);
        this.ctx.log.error({ err: errorMessage(err) }, 'claim failed; trying again once the database answers');
        return;
      }
      this.exhausted = true;
      this.fault ??= err;
      this.ctx.log.error({ err: errorMessage(err) }, 'claim failed; the next cycle tries again');
    }
  }

  private prepareAhead(route: Route, policy: SendingPolicy): void {
    if (!route.prepare) return;
    for (const email of this.buffer.slice(0, policy.slots * PREPARED_AHEAD_PER_SLOT)) {
      if (email.attachment_count > 0 || this.ahead.has(email.id)) continue;
      const message = compose(this.ctx, email, policy).then((m) => {
        route.prepare?.(m);
        return m;
      });
      // Awaited when the e-mail is sent, where a failure (no sender, say) is its outcome.
      message.catch(() => undefined);
      this.ahead.set(email.id, message);
    }
  }

  private start(email: EmailRow, route: Route, policy: SendingPolicy): void {
    const prepared = this.ahead.get(email.id);
    this.ahead.delete(email.id);
    this.inFlight++;
    this.atServer.add(email.id);
    // The slot is free for the next e-mail as soon as the route is done with this one: writing
    // its outcome (a database round trip, a shared commit) need not keep a connection idle.
    let slotHeld = true;
    const routeDone = () => {
      if (!slotHeld) return;
      slotHeld = false;
      this.atServer.delete(email.id);
      this.inFlight--;
      this.recording++;
      this.pump();
    };
    void deliver(this.ctx, email, route, policy, routeDone, prepared)
      .then(async (result) => {
        this.hooks.attempt(route, result);
        if (result.outcome !== 'released') {
          this.tally[result.outcome]++;
          if (result.outcome === 'retrying' && result.connectionLost && !this.broughtForward.has(email.id)) this.cutOff.set(email.id, Date.now());
          return;
        }
        this.tally.released++;
        this.tally.routeFailure = result.routeFailure;
        // Stop starting sends while the route is checked again; resume at once if it works
        // (one dropped connection must not pause the outbox until the next cycle).
        this.paused = true;
        const works = await this.hooks.routeFailed(route, result.routeFailure);
        this.paused = false;
        if (works && this.route === route) {
          this.exhausted = false;
          await this.routeRecovered();
        } else await this.pause();
      })
      .catch((err: unknown) => {
        // The database did not take the outcome: the e-mail stays 'sending' under its lease,
        // which expires, and a later claim sends it again (at least once).
        this.fault ??= err;
        this.ctx.log.error({ id: email.id, err: errorMessage(err) }, 'could not record an outcome; the e-mail will be sent again after its lease');
        return this.pause();
      })
      .finally(() => {
        this.atServer.delete(email.id);
        if (slotHeld) this.inFlight--;
        else this.recording--;
        this.leases.drop([email.id]);
        this.pump();
      });
  }

  /**
   * The route works again after failing: the sends a lost connection cut off meanwhile (a relay
   * restarting) are due now rather than after their back-off. Their attempt stays: they may have
   * arrived. Once per e-mail, so a message that itself breaks the connection meets the back-off.
   */
  async routeRecovered(): Promise<void> {
    const now = Date.now();
    const ids = [...this.cutOff].filter(([, at]) => now - at < 15 * 60_000).map(([id]) => id);
    this.cutOff.clear();
    if (ids.length === 0) return;
    for (const id of ids) this.broughtForward.add(id);
    // Bounded memory: only the most recent ones matter.
    if (this.broughtForward.size > 10_000) this.broughtForward.clear();
    try {
      const due = await this.ctx.lifecycle.dueNow(ids, now);
      if (due) {
        this.ctx.log.info({ due }, 'route works again: the sends a lost connection cut off are due now');
        this.exhausted = false;
        this.pump();
      }
    } catch (err) {
      // They keep their back-off: nothing lost.
      this.ctx.log.warn({ err: errorMessage(err) }, 'could not bring forward the sends a lost connection cut off');
    }
  }

  private settleIdle(): void {
    if (this.busy) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
