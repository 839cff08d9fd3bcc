// Work beside sending, on its own timer: e-mails in error whose retry window has closed are
// failed (even while sending is off or the route fails), and finished e-mails past retention go.
import type { Logger } from 'pino';
import { errorMessage } from '../db/index.js';
import type { EmailLifecycle, EmailRepository } from '../queue/index.js';
import { PurgeSchedule } from '../jobs/index.js';
import type { SendingPolicy } from './policy.js';

export class Maintenance {
  /** One purge at a time, each campaign interval; a stop ends one under way at its next batch. */
  private readonly purges: PurgeSchedule;

  constructor(
    private readonly lifecycle: EmailLifecycle,
    private readonly repo: EmailRepository,
    private readonly log: Logger,
  ) {
    this.purges = new PurgeSchedule({ failed: (err) => this.log.error({ err: errorMessage(err) }, 'purge failed; the next cycle tries again') });
  }

  /**
   * Expires closed retry windows now; starts a purge in the background when the interval has
   * passed since the last one (a purge of a million rows must not hold up sending).
   * Returns how many e-mails expired.
   */
  async run(policy: SendingPolicy, now = Date.now()): Promise<number> {
    const before = now - policy.retentionMs;
    void this.purges.runIfDue(now, policy.intervalMs, async (signal) => {
      const purged = await this.repo.purgeExclusive(before, signal);
      if (purged) this.log.info({ purged }, 'finished e-mails purged');
    });
    const expired = await this.lifecycle.expire(policy.retryWindowMs, now);
    if (expired) this.log.info({ expired }, 'retry window expired: e-mails failed');
    return expired;
  }

  /** Ends a purge under way after its current batch, and waits for that (on stop). */
  settle(): Promise<void> {
    return this.purges.stop();
  }
}
