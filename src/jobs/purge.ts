// Purges on a schedule: one started when its interval has passed since the last, in the background
// of whatever drives it, never two at once, and ended at its next batch by a stop.

export interface PurgeScheduleOptions {
  /** A purge failed: said once here, and the next one, an interval later, tries again. */
  failed(err: unknown): void;
}

/** Deletes what is past retention; a purge of many rows ends at its next batch once `signal` aborts. */
export type Purge = (signal: AbortSignal) => Promise<void>;

export class PurgeSchedule {
  /** When the last purge started (0: none yet, so the first call starts one). */
  private lastAt = 0;
  private running: Promise<void> | null = null;
  private readonly stopping = new AbortController();

  constructor(private readonly opts: PurgeScheduleOptions) {}

  /**
   * Starts `purge` when `everyMs` has passed since the last one started, unless one is still
   * running (that one counts as this interval's) or the schedule has stopped. Answers the purge
   * started now, which never rejects, for a caller that waits for it; resolved when none started.
   */
  runIfDue(now: number, everyMs: number, purge: Purge): Promise<void> {
    if (now - this.lastAt < everyMs) return Promise.resolve();
    this.lastAt = now;
    if (this.running || this.stopping.signal.aborted) return Promise.resolve();
    const run = (async () => {
      try {
        await purge(this.stopping.signal);
      } catch (err) {
        this.opts.failed(err);
      } finally {
        this.running = null;
      }
    })();
    this.running = run;
    return run;
  }

  /** For good: ends a purge under way after its current batch, waits for it, and starts no other. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }
}
