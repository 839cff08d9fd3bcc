// Gives the C heap's freed memory back to the system once the process is quiet again. glibc keeps
// the pages a burst of large hand-overs freed (measured: 385 MB resident after a drain, 117 trimmed).
import { createRequire } from 'node:module';
import type { Logger } from 'pino';

interface Binding {
  supported: boolean;
  trim(): boolean;
}

/** The optional native binding (native/heap-trim); absent or unsupported: nothing to do. */
function loadBinding(): Binding | null {
  try {
    const binding = createRequire(import.meta.url)('postroom-heap-trim') as Binding;
    return binding.supported ? binding : null;
  } catch {
    return null;
  }
}

export interface HeapTrimOptions {
  /** How often the resident size is looked at. */
  everyMs?: number;
  /** Growth of the resident size since the last trim (or the lowest seen) that makes one worth it. */
  growthBytes?: number;
  /** Whether the process is quiet (no hand-over body being received): trimming mid-burst frees nothing lasting. */
  quiet(): boolean;
  logger?: Logger;
  /** For tests: the resident size and the trim itself. */
  rss?: () => number;
  binding?: Binding | null;
}

export class HeapTrimmer {
  private timer: NodeJS.Timeout | null = null;
  private floor: number;
  private readonly binding: Binding | null;
  private readonly rss: () => number;
  private readonly everyMs: number;
  private readonly growthBytes: number;

  constructor(private readonly options: HeapTrimOptions) {
    this.binding = options.binding === undefined ? loadBinding() : options.binding;
    this.rss = options.rss ?? (() => process.memoryUsage.rss());
    this.everyMs = options.everyMs ?? 5_000;
    this.growthBytes = options.growthBytes ?? 32 * 1024 * 1024;
    this.floor = this.rss();
  }

  /** Whether this platform lets memory be given back (glibc and the binding built). */
  get supported(): boolean {
    return this.binding !== null;
  }

  start(): void {
    if (!this.binding || this.timer) return;
    this.timer = setInterval(() => this.check(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Trims when the resident size grew past the floor and the process is quiet. A trim that gives
   * little back (the memory is really in use) raises the floor, so a busy process is not trimmed
   * every few seconds for nothing; the floor follows the size down as memory is given back.
   */
  check(): boolean {
    if (!this.binding) return false;
    const before = this.rss();
    this.floor = Math.min(this.floor, before);
    if (before - this.floor < this.growthBytes || !this.options.quiet()) return false;
    const started = performance.now();
    this.binding.trim();
    const after = this.rss();
    this.floor = after;
    this.options.logger?.debug(
      { beforeMb: Math.round(before / 1048576), afterMb: Math.round(after / 1048576), ms: Math.round(performance.now() - started) },
      'freed memory given back to the system',
    );
    return true;
  }
}
