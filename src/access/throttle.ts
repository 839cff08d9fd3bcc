// Slows and then stops repeated failed logins from one client: each failure doubles the wait
// before an answer, and ten failures in fifteen minutes lock the client out for that long.

interface Record {
  failures: number;
  firstAt: number;
}

export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 10, windowMs: 15 * 60_000, baseDelayMs: 250, maxDelayMs: 4000 };

export class LoginThrottle {
  private readonly clients = new Map<string, Record>();

  constructor(private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** Milliseconds until this client may try again, or 0. */
  lockedFor(client: string, now = Date.now()): number {
    const r = this.current(client, now);
    if (!r || r.failures < this.options.maxFailures) return 0;
    return r.firstAt + this.options.windowMs - now;
  }

  /** How long to hold the answer to this client's next attempt. */
  delayFor(client: string, now = Date.now()): number {
    const r = this.current(client, now);
    if (!r || r.failures === 0) return 0;
    return Math.min(this.options.baseDelayMs * 2 ** (r.failures - 1), this.options.maxDelayMs);
  }

  fail(client: string, now = Date.now()): void {
    const r = this.current(client, now) ?? { failures: 0, firstAt: now };
    r.failures++;
    this.clients.set(client, r);
    if (this.clients.size > 10_000) this.sweep(now);
  }

  succeed(client: string): void {
    this.clients.delete(client);
  }

  private current(client: string, now: number): Record | undefined {
    const r = this.clients.get(client);
    if (r && now - r.firstAt > this.options.windowMs) {
      this.clients.delete(client);
      return undefined;
    }
    return r;
  }

  private sweep(now: number): void {
    for (const [k, r] of this.clients) if (now - r.firstAt > this.options.windowMs) this.clients.delete(k);
  }
}
