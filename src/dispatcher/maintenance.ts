// Work beside sending, on its own timer: e-mails in error whose retry window has closed are
// failed (even while sending is off or the route fails), and finished e-mails past retention go.
import type { Logger } from 'pino';
import { errorMessage } from '../db/index.js';
import type { EmailLifecycle, EmailRepository } from '../queue/index.js';
import type { SendingPolicy } from './policy.js';

export class Maintenance {
  private lastPurgeAt = 0;
  private purging: Promise<void> | null = null;
  /** Ends a purge under way at its next batch (a stop must not wait for a million rows). */
  private readonly stopping = new AbortController();

  constructor(
    private readonly lifecycle: EmailLifecycle,
    private readonly repo: EmailRepository,
    private readonly log: Logger,
  ) {}

  /**
   * Expires closed retry windows now; starts a purge in the background when the interval has
   * passed since the last one (a purge of a million rows must not hold up sending).
   * Returns how many e-mails expired.
   */
  async run(policy: SendingPolicy, now = Date.now()): Promise<number> {
    if (now - this.lastPurgeAt >= policy.intervalMs) {
      this.lastPurgeAt = now;
      this.startPurge(now - policy.retentionMs);
    }
    const expired = await this.lifecycle.expire(policy.retryWindowMs, now);
    if (expired) this.log.info({ expired }, 'retry window expired: e-mails failed');
    return expired;
  }

  /** Ends a purge under way after its current batch, and waits for that (on stop). */
  async settle(): Promise<void> {
    this.stopping.abort();
    await this.purging;
  }

  private startPurge(before: number): void {
    if (this.purging || this.stopping.signal.aborted) return;
    this.purging = (async () => {
      try {
        const purged = await this.repo.purgeExclusive(before, this.stopping.signal);
        if (purged) this.log.info({ purged }, 'finished e-mails purged');
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'purge failed; the next cycle tries again');
      } finally {
        this.purging = null;
      }
    })();
  }
}
