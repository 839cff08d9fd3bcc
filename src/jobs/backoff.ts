// Exponential back-off with jitter, shared by the two kinds of work Postroom retries: e-mails in
// error (dispatcher/retry.ts adds the retry window) and webhook deliveries (webhooks/deliverer.ts).

export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** Longest delay between two attempts. */
  capMs: number;
}

/**
 * Delay before attempt n+1 after n failures (n ≥ 1): base·2^(n−1), capped, ±20 % jitter so that
 * work that failed together is not tried again all at the same instant.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const raw = Math.min(policy.baseMs * 2 ** Math.max(0, failures - 1), policy.capMs);
  return Math.round(raw * (0.8 + 0.4 * random()));
}
