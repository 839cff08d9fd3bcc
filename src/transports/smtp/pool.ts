// A small pool of SMTP sessions for one signed-in mailbox: at most a given number open, each
// carrying up to 100 messages, an idle one closed after a while.
import { say } from '../../i18n/index.js';
import { SmtpSession, SmtpStageError, type SessionOptions } from './session.js';
import { FAILURES } from './words.js';

/** At most `max` sessions; each carries up to 100 messages, and an idle one is closed after a while. */
export class SmtpPool {
  private idle: SmtpSession[] = [];
  private open = 0;
  private waiters: (() => void)[] = [];
  private closed = false;
  private sweeper: NodeJS.Timeout;

  constructor(
    private readonly options: SessionOptions,
    private readonly max: number,
    private readonly idleMs = 30_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 10_000));
    this.sweeper.unref();
  }

  /** Runs `use` on a session (a fresh one when `fresh`), then gives it back or retires it. */
  async with<T>(use: (s: SmtpSession) => Promise<T>, fresh = false): Promise<T> {
    while (this.open >= this.max && !this.idle.length && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    if (this.closed) throw new SmtpStageError('connect', new Error(say(FAILURES.routeClosed)), false);
    if (fresh && this.open >= this.max) {
      // Room for the fresh session: the idle one it replaces is not trusted any more.
      this.idle.pop()?.close();
      this.open--;
    }
    let session = fresh ? undefined : this.takeIdle();
    if (!session) {
      this.open++;
      try {
        session = await SmtpSession.open(this.options);
      } catch (err) {
        this.release();
        throw err;
      }
    }
    try {
      return await use(session);
    } finally {
      if (session.usable && session.needsReset) await session.reset();
      if (session.usable && session.messages < 100 && !this.closed) {
        this.idle.push(session);
        this.waiters.shift()?.();
      } else {
        session.close();
        this.release();
      }
    }
  }

  private takeIdle(): SmtpSession | undefined {
    for (let s = this.idle.pop(); s; s = this.idle.pop()) {
      if (s.usable) return s;
      this.release();
    }
    return undefined;
  }

  private release(): void {
    this.open--;
    this.waiters.shift()?.();
  }

  private sweep(): void {
    const now = Date.now();
    this.idle = this.idle.filter((s) => {
      if (s.usable && now - s.idleSince < this.idleMs) return true;
      s.close();
      this.release();
      return false;
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const s of this.idle) s.close();
    this.open -= this.idle.length;
    this.idle = [];
    for (const w of this.waiters.splice(0)) w();
  }
}
