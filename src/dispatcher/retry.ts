// When an e-mail in error is tried again: exponential back-off with jitter, kept inside the
// retry window so that the last try still happens before the window closes.

export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** Longest delay between two attempts. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 60_000, capMs: 3_600_000 };

/** Delay before attempt n+1 after n failures (n ≥ 1): base·2^(n−1), capped, ±20 % jitter. */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const raw = Math.min(policy.baseMs * 2 ** Math.max(0, failures - 1), policy.capMs);
  return Math.round(raw * (0.8 + 0.4 * random()));
}

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
