// Limits on hand-over: per token, how many requests a minute and how many at once, so one host
// application (or a stolen token) cannot take the whole process or fill the disk at full speed; and
// for the whole process, how many body bytes may be in progress at once, which bounds its memory.
import { HttpError } from './errors.js';

export interface HandOverLimitOptions {
  /** Hand-overs a token may start per minute (fixed window); 0: no limit. */
  perMinute: number;
  /** Hand-overs of one token in progress at once; 0: no limit. */
  concurrent: number;
  /**
   * Body bytes of all hand-overs in progress, whoever sends them; 0: no limit. A hand-over holds
   * about three times its body while it is read, checked and stored: this bounds the peak.
   */
  maxBytesInFlight?: number;
}

export const DEFAULT_HAND_OVER_LIMITS: HandOverLimitOptions = { perMinute: 120_000, concurrent: 32, maxBytesInFlight: 200 * 1024 * 1024 };

interface Counter {
  windowStart: number;
  started: number;
  inFlight: number;
}

/** Counted in this process: each instance applies the limits to what it receives. */
export class HandOverLimits {
  private readonly counters = new Map<string, Counter>();
  private bytesInFlight = 0;

  constructor(private readonly options: HandOverLimitOptions = DEFAULT_HAND_OVER_LIMITS) {}

  /** Body bytes of the hand-overs in progress (reserved, not yet ended). */
  get bytesInProgress(): number {
    return this.bytesInFlight;
  }

  /**
   * Reserves `bytes` (the body's Content-Length, or the route's limit when it is not given) among
   * the hand-overs in progress, or throws 503 with Retry-After; call the result once it ends. One
   * hand-over alone is always let in, however large, so that no e-mail the routes accept is refused for good.
   */
  reserve(bytes: number): () => void {
    const max = this.options.maxBytesInFlight ?? 0;
    if (max > 0 && this.bytesInFlight > 0 && this.bytesInFlight + bytes > max) {
      throw new HttpError(
        'overloaded',
        `this server is receiving ${Math.round(this.bytesInFlight / 1048576)} MB of hand-overs already, its limit: try again in a moment`,
        [],
        { 'retry-after': '2' },
      );
    }
    this.bytesInFlight += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.bytesInFlight -= bytes;
    };
  }

  /**
   * Counts `extra` more hand-overs in this minute's window for a request already let in (the
   * e-mails of a batch after its first), or throws 429 with Retry-After if they do not fit.
   */
  count(key: string, extra: number, now = Date.now()): void {
    const c = this.counters.get(key);
    const { perMinute } = this.options;
    if (!c || perMinute <= 0) return;
    if (c.started + extra > perMinute) {
      const seconds = Math.max(1, Math.ceil((c.windowStart + 60_000 - now) / 1000));
      throw limited(`this batch would take this token over ${perMinute} e-mails handed over in a minute, its limit: try again in ${seconds} s (or send a smaller batch)`, seconds);
    }
    c.started += extra;
  }

  /** Counts a hand-over starting, or throws 429 with Retry-After; call the result once it ends. */
  acquire(key: string, now = Date.now()): () => void {
    let c = this.counters.get(key);
    if (!c) {
      c = { windowStart: now, started: 0, inFlight: 0 };
      this.counters.set(key, c);
    }
    if (now - c.windowStart >= 60_000) {
      c.windowStart = now;
      c.started = 0;
    }
    const { perMinute, concurrent } = this.options;
    if (perMinute > 0 && c.started >= perMinute) {
      const seconds = Math.max(1, Math.ceil((c.windowStart + 60_000 - now) / 1000));
      throw limited(`this token handed over ${perMinute} e-mails in the last minute, its limit: try again in ${seconds} s`, seconds);
    }
    if (concurrent > 0 && c.inFlight >= concurrent) {
      throw limited(`this token already has ${concurrent} hand-overs in progress, its limit: wait for one to finish`, 1);
    }
    c.started++;
    c.inFlight++;
    const counter = c;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      counter.inFlight--;
      if (counter.inFlight === 0 && Date.now() - counter.windowStart >= 60_000) this.counters.delete(key);
    };
  }
}

const limited = (message: string, seconds: number) => new HttpError('rate_limited', message, [], { 'retry-after': String(seconds) });
