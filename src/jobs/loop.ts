// A job runner's loop: a round, then a wait of the interval, which wake() cuts short (a wake during
// a round runs the next one at once); stop() lets the round under way finish and starts no other.
import { setTimeout as sleep } from 'node:timers/promises';

export class PollLoop {
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private wakeUp: AbortController | null = null;
  private wakePending = false;

  /**
   * @param round one round of work; it must not throw (it says its own failures: the next round tries again)
   * @param intervalMs the wait after each round, read after it (a setting may have changed it)
   */
  constructor(
    private readonly round: () => Promise<void>,
    private readonly intervalMs: () => number,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.run();
  }

  /** Runs the next round now instead of at the end of the wait. */
  wake(): void {
    this.wakePending = true;
    this.wakeUp?.abort();
  }

  /** No round starts after this; resolves once the round under way has ended. */
  stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.abort();
    return this.done;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.wakePending = false;
      await this.round();
      // Stopped during the round: no wait, so that a stop is not held up by a whole interval.
      if (!this.running) break;
      if (this.wakePending) continue;
      this.wakeUp = new AbortController();
      await sleep(this.intervalMs(), undefined, { signal: this.wakeUp.signal }).catch(() => undefined);
    }
  }
}
