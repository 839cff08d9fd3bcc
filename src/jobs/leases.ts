// The leases one process holds on the jobs it claimed: when each lapses, whether work may still
// start under it, and (given a renew) a timer that extends them every third of a lease while any is held.

export interface LeaseOptions {
  /** How long a claim, or a renewal, makes a job this process's. */
  leaseMs: number;
  /**
   * Extends the leases still this process's (the statement checks the owner) until `until`, and
   * answers the ids it extended. Without it leases are never renewed: work must fit in one lease.
   */
  renew?: (ids: number[], until: number) => Promise<number[]>;
  /** A renewal went through: the storage answers again. */
  onRenewed?: () => void;
  /** A renewal failed: the leases it did not extend may lapse. */
  onRenewFailed?: (err: unknown) => void;
}

/** A third of the lease, but never more often than this: a test's very short lease must not spin. */
const MIN_RENEW_EVERY_MS = 200;

export class Leases {
  /** Lease expiry of every job held, by id. */
  private readonly until = new Map<number, number>();
  private renewal: NodeJS.Timeout | null = null;

  constructor(private readonly opts: LeaseOptions) {}

  get leaseMs(): number {
    return this.opts.leaseMs;
  }

  /** When a lease taken or renewed at `now` lapses: what the claim statement writes. */
  expiry(now: number): number {
    return now + this.opts.leaseMs;
  }

  /** Jobs claimed at `now`: held until their lease lapses. */
  hold(ids: Iterable<number>, now: number): void {
    for (const id of ids) this.until.set(id, this.expiry(now));
    this.keepRenewing();
  }

  /**
   * The job's lease lasts past `at`. A job whose lease lapsed may be another process's by now, so
   * work on it must not start (a process may ask for a margin: `at` = now + the longest attempt).
   */
  covers(id: number, at: number): boolean {
    return (this.until.get(id) ?? 0) > at;
  }

  /** Done with these (finished, given back, lapsed): no longer renewed. */
  drop(ids: Iterable<number>): void {
    for (const id of ids) this.until.delete(id);
    this.keepRenewing();
  }

  /** Forgets every lease (a stop gave them back): no renewal goes on. */
  clear(): void {
    this.until.clear();
    this.keepRenewing();
  }

  /** Every job held. */
  get ids(): number[] {
    return [...this.until.keys()];
  }

  get size(): number {
    return this.until.size;
  }

  /** The timer runs while a lease is held and renewal is possible, and only then (it keeps nothing alive). */
  private keepRenewing(): void {
    if (this.until.size > 0 && this.renewal === null && this.opts.renew) {
      this.renewal = setInterval(() => void this.renewAll(), Math.max(MIN_RENEW_EVERY_MS, Math.floor(this.opts.leaseMs / 3)));
      this.renewal.unref();
    } else if (this.until.size === 0 && this.renewal !== null) {
      clearInterval(this.renewal);
      this.renewal = null;
    }
  }

  private async renewAll(): Promise<void> {
    const renew = this.opts.renew;
    if (!renew || this.until.size === 0) return;
    const until = this.expiry(Date.now());
    try {
      // Only what the statement extended: a job another process took after a lapse stays lapsed here.
      for (const id of await renew(this.ids, until)) {
        if (this.until.has(id)) this.until.set(id, until);
      }
      this.opts.onRenewed?.();
    } catch (err) {
      this.opts.onRenewFailed?.(err);
    }
  }
}
