// When an e-mail in error is tried again: exponential back-off with jitter, kept inside the
// retry window so that the last try still happens before the window closes.
import { backoffDelay, type BackoffPolicy } from '../jobs/index.js';

export { backoffDelay, type BackoffPolicy };

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 60_000, capMs: 3_600_000 };

export type RetryDecision = { retryAt: number } | { expired: true };

/**
 * After a transient failure at `now`: the next attempt, or expiry when the window (counted from
 * the first failure) leaves no room for one. The last attempt is scheduled at least one campaign
 * interval before the window closes, so a campaign is sure to pick it up in time.
 */
export function decideRetry(args: {
  now: number;
  firstFailureAt: number;
  failures: number;
  windowMs: number;
  campaignIntervalMs: number;
  policy: BackoffPolicy;
  /** The server's Retry-After: used instead of the back-off. */
  retryAfterMs?: number | null;
  random?: () => number;
}): RetryDecision {
  const windowEnd = args.firstFailureAt + args.windowMs;
  const latest = windowEnd - args.campaignIntervalMs;
  const wanted = args.now + (args.retryAfterMs ?? backoffDelay(args.failures, args.policy, args.random));
  const retryAt = Math.min(wanted, latest);
  if (retryAt <= args.now) return { expired: true };
  return { retryAt };
}
