// The limit on sign-in attempts, per client address and per user name, counted in the database
// so every instance shares it. An attempt is counted before its password is checked (a burst
// sent at once cannot slip through), and a success wipes the count.
//
// Per address: each failure doubles the wait before the answer; past maxFailures in the window
// the address is refused until the window ends. Per user name: only the wait, never a lock, so
// an attacker cannot lock the real administrator out by failing on purpose from elsewhere.
import { sql } from 'kysely';
import type { Store } from '../db/index.js';

export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 10, windowMs: 15 * 60_000, baseDelayMs: 250, maxDelayMs: 4000 };

export type Reservation = { locked: true; retryAfterMs: number } | { locked: false; delayMs: number };

export class LoginThrottle {
  constructor(
    private readonly store: Store,
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
  ) {}

  /** Counts this attempt, then says whether to refuse it or how long to wait before checking it. */
  async reserve(client: string, username: string, now = Date.now()): Promise<Reservation> {
    const ip = await this.count(`ip:${client}`, now);
    if (ip.attempts > this.options.maxFailures) {
      return { locked: true, retryAfterMs: Math.max(1000, ip.windowStartedAt + this.options.windowMs - now) };
    }
    if (ip.attempts === 1) await this.sweep(now);
    const user = await this.count(`user:${username.toLowerCase().slice(0, 100)}`, now);
    return { locked: false, delayMs: Math.max(this.delay(ip.attempts - 1), this.delay(user.attempts - 1)) };
  }

  /** The password was right: this address and this user name start afresh. */
  async succeeded(client: string, username: string): Promise<void> {
    await this.store.db.deleteFrom('login_attempts').where('key', 'in', [`ip:${client}`, `user:${username.toLowerCase().slice(0, 100)}`]).execute();
  }

  private delay(failuresBefore: number): number {
    if (failuresBefore <= 0) return 0;
    return Math.min(this.options.baseDelayMs * 2 ** (failuresBefore - 1), this.options.maxDelayMs);
  }

  /** One statement, so that concurrent attempts (on any instance) each get their own number. */
  private async count(key: string, now: number): Promise<{ attempts: number; windowStartedAt: number }> {
    const expired = now - this.options.windowMs;
    const row = await this.store.db
      .insertInto('login_attempts')
      .values({ key, attempts: 1, window_started_at: now })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          attempts: sql<number>`case when login_attempts.window_started_at <= ${expired} then 1 else login_attempts.attempts + 1 end`,
          window_started_at: sql<number>`case when login_attempts.window_started_at <= ${expired} then ${now} else login_attempts.window_started_at end`,
        }),
      )
      .returning(['attempts', 'window_started_at'])
      .executeTakeFirstOrThrow();
    return { attempts: Number(row.attempts), windowStartedAt: Number(row.window_started_at) };
  }

  private async sweep(now: number): Promise<void> {
    await this.store.db.deleteFrom('login_attempts').where('window_started_at', '<=', now - this.options.windowMs).execute();
  }
}
