// Whether the database takes writes: each write path reports its storage faults and its successes,
// so /healthz and the console can say "the disk is full" or "the database keeps failing" when the
// one-off `select 1` still answers (a full disk reads fine), and say it again once it has passed.
import { storageFault, type StorageFaultKind } from './faults.js';

export interface StorageState {
  /** Writes are failing now: not ready. */
  failing: boolean;
  kind: StorageFaultKind | null;
  /** The database's words for the last fault; only for a known caller (it names paths and hosts). */
  lastError: string | null;
  lastErrorAt: number | null;
  /** When the current failing spell began. */
  since: number | null;
  /** Faults in the last minute. */
  recentFaults: number;
}

/** A fault this recent keeps the database reported as failing. */
const QUIET_MS = 10_000;
/** Several faults within this window make a database that keeps failing, even between successes. */
const WINDOW_MS = 60_000;
const FLAPPING = 3;

export class StorageHealth {
  private faults: number[] = [];
  private last: { kind: StorageFaultKind; message: string; at: number } | null = null;
  private since: number | null = null;
  private lastSuccessAt = 0;

  /** Records `err` when it is a storage fault; returns whether it was one. */
  failed(err: unknown, now = Date.now()): boolean {
    const fault = storageFault(err);
    if (!fault) return false;
    this.faults = this.faults.filter((t) => now - t < WINDOW_MS);
    this.faults.push(now);
    this.last = { ...fault, at: now };
    this.since ??= now;
    return true;
  }

  succeeded(now = Date.now()): void {
    this.lastSuccessAt = now;
  }

  state(now = Date.now()): StorageState {
    this.faults = this.faults.filter((t) => now - t < WINDOW_MS);
    const last = this.last;
    const recent = last !== null && now - last.at < QUIET_MS;
    // Failing: the last write failed and none succeeded since, or writes keep failing between successes.
    const failing = recent && (this.lastSuccessAt < (last?.at ?? 0) || this.faults.length >= FLAPPING);
    if (!failing && !recent) this.since = null;
    return {
      failing,
      kind: failing ? (last?.kind ?? null) : null,
      lastError: last?.message ?? null,
      lastErrorAt: last?.at ?? null,
      since: failing ? this.since : null,
      recentFaults: this.faults.length,
    };
  }
}
