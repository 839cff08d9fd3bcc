// Database reads believed from memory for a short time, for values read on every request (an API
// token, a setting) and changed rarely. A change made in this process is seen at once.
/**
 * A value read within `ttlMs` is given back without reading again. forget() is called before and
 * after a change is written: it drops what the change makes stale, and no read that overlapped
 * the change is remembered, so the old value cannot come back from a read that raced it. A
 * change made by another process is seen once the remembered value is `ttlMs` old.
 */
export class RecentReads<K, V> {
  private readonly entries = new Map<K, { value: V; readAt: number }>();
  /** Changes begun or ended so far: a read during which this moved is not remembered. */
  private changes = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1000,
  ) {}

  /** The remembered value, or `read()`'s, remembered when `keep` says so (e.g. not "unknown"). */
  async get(key: K, read: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const now = Date.now();
    const known = this.entries.get(key);
    if (known && now - known.readAt < this.ttlMs) return known.value;
    const changes = this.changes;
    const value = await read();
    if (keep(value) && changes === this.changes) {
      // Stale entries go first; past the bound, nothing more is remembered (reads still work).
      if (this.entries.size >= this.maxEntries) for (const [k, e] of this.entries) if (now - e.readAt >= this.ttlMs) this.entries.delete(k);
      if (this.entries.size < this.maxEntries) this.entries.set(key, { value, readAt: now });
    } else {
      this.entries.delete(key);
    }
    return value;
  }

  /** Drops every remembered value `which` picks (all without it); call before and after a change. */
  forget(which: (value: V) => boolean = () => true): void {
    this.changes++;
    for (const [k, e] of this.entries) if (which(e.value)) this.entries.delete(k);
  }
}
