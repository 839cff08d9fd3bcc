// Builds MIME messages on a thread of its own. Composing (headers, quoted-printable, base64 of
// files) is most of a send's CPU, and the main thread's time is what every SMTP exchange waits on.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SendMailOptions } from 'nodemailer/lib/mailer';

/** What the thread is asked: nodemailer's mail options, and whether Bcc stays in the headers. */
interface Job {
  seq: number;
  options: SendMailOptions;
  keepBcc: boolean;
}

/** Longer than any honest message takes to build (150 MB of files take about a second). */
export const MIME_BUILD_TIMEOUT_MS = 60_000;
const MAX_FAILED_STARTS = 3;
/**
 * A thread idle this long is ended: its heap (grown to the largest messages it built: a 5 MB file
 * makes tens of MB) goes back to the system after a drain, and the next message starts a new one.
 */
export const MIME_IDLE_MS = 10_000;
/** A thread not ready this long after it was started counts as a failed start. */
const START_TIMEOUT_MS = 30_000;
type Answer = { seq: number; mime: Uint8Array } | { seq: number; error: string } | { ready: true };

// Plain JavaScript, so that it runs alike from src/ (under tsx) and from dist/. Structured
// cloning turns Buffers into Uint8Arrays: nodemailer wants Buffers back.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const MailComposer = require(workerData.composer);
parentPort.postMessage({ ready: true });
const asBuffer = (u) => (u instanceof Uint8Array && !Buffer.isBuffer(u) ? Buffer.from(u.buffer, u.byteOffset, u.byteLength) : u);
parentPort.on('message', ({ seq, options, keepBcc }) => {
  try {
    for (const a of options.attachments || []) a.content = asBuffer(a.content);
    const node = new MailComposer(options).compile();
    node.keepBcc = keepBcc;
    node.build((err, mime) => {
      if (err) return parentPort.postMessage({ seq, error: err.message });
      // Its own memory, moved rather than copied: a small Buffer is a view of Node's shared 8 KiB
      // pool, and sending the view would copy the whole pool across for every message.
      const whole = mime.byteOffset === 0 && mime.byteLength === mime.buffer.byteLength ? mime : Uint8Array.prototype.slice.call(mime);
      parentPort.postMessage({ seq, mime: whole }, [whole.buffer]);
    });
  } catch (err) {
    parentPort.postMessage({ seq, error: String(err && err.message || err) });
  }
});
`;

interface Waiting {
  resolve(mime: Buffer): void;
  reject(err: Error): void;
}

/** Thrown when MailComposer itself refuses the options (the same as it would on the main thread). */
export class MimeBuildError extends Error {
  override name = 'MimeBuildError';
}

/**
 * One thread per process, started at the first message. Should it fail or exit, the messages it
 * held are built on the main thread instead (slower, never lost) and the next message starts a
 * new thread. A message still not built after `timeoutMs` is refused (its e-mail is retried
 * later) and the thread replaced, so that one message cannot hold every send waiting.
 */
export class MimeThread {
  private worker: Worker | null = null;
  /** In the order they were asked: the first is the oldest. */
  private readonly waiting = new Map<number, Waiting & { job: Job; askedAt: number }>();
  private seq = 0;
  private watchdog: NodeJS.Timeout | null = null;
  /** When the current thread was ready to build: its start-up is not counted against a message. */
  private readyAt: number | null = null;
  private startedAt = 0;

  /** Threads in a row that failed before they were ready: past a few, building stays here. */
  private failedStarts = 0;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly buildHere: (options: SendMailOptions, keepBcc: boolean) => Promise<Buffer>,
    private readonly timeoutMs = MIME_BUILD_TIMEOUT_MS,
    /** The MailComposer module the thread loads (nodemailer's). */
    private readonly composer = createRequire(import.meta.url).resolve('nodemailer/lib/mail-composer'),
    private readonly idleMs = MIME_IDLE_MS,
  ) {}

  /** False once threads keep failing to start (a runtime without worker threads, say). */
  get threaded(): boolean {
    return this.failedStarts < MAX_FAILED_STARTS;
  }

  build(options: SendMailOptions, keepBcc: boolean): Promise<Buffer> {
    if (!this.threaded) return this.buildHere(options, keepBcc);
    return new Promise<Buffer>((resolve, reject) => {
      const job: Job = { seq: ++this.seq, options, keepBcc };
      const worker = this.started();
      if (this.idleTimer) {
        clearTimeout(this.idleTimer);
        this.idleTimer = null;
      }
      this.waiting.set(job.seq, { job, resolve, reject, askedAt: Date.now() });
      // Referenced only while it holds work: an idle thread must not keep a process alive.
      if (this.waiting.size === 1) {
        worker.ref();
        this.watch();
      }
      try {
        worker.postMessage(job);
      } catch {
        // Something in the options cannot cross to the thread (it never should): build it here.
        this.waiting.delete(job.seq);
        if (this.waiting.size === 0) worker.unref();
        this.buildHere(options, keepBcc).then(resolve, reject);
      }
    });
  }

  /** Ends the thread; messages it still held are built on the main thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.abandon(worker, false);
    await worker.terminate();
  }

  /** While messages are out, looks at the oldest now and then. */
  private watch(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => {
      const oldest = this.waiting.entries().next().value;
      if (!oldest) {
        clearInterval(this.watchdog ?? undefined);
        this.watchdog = null;
        return;
      }
      const [seq, w] = oldest;
      const stuck = this.worker;
      if (stuck && this.readyAt === null) {
        // A thread that never became ready: a failed start, its messages built here.
        if (Date.now() - this.startedAt > START_TIMEOUT_MS) {
          this.abandon(stuck, true);
          void stuck.terminate();
        }
        return;
      }
      if (this.readyAt === null || Date.now() - Math.max(w.askedAt, this.readyAt) <= this.timeoutMs) return;
      this.waiting.delete(seq);
      w.reject(new MimeBuildError(`building the message took longer than ${Math.round(this.timeoutMs / 1000)} s; it will be tried again later`));
      // The thread may be stuck on it: a new one takes the next messages, these are built here.
      if (stuck) {
        this.abandon(stuck, false);
        void stuck.terminate();
      }
    }, Math.min(1_000, Math.max(10, this.timeoutMs / 4)));
    this.watchdog.unref();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD, { eval: true, workerData: { composer: this.composer } });
    worker.unref();
    worker.on('message', (answer: Answer) => {
      if ('ready' in answer) {
        if (this.worker === worker) {
          this.readyAt = Date.now();
          this.failedStarts = 0;
        }
        return;
      }
      const w = this.waiting.get(answer.seq);
      if (!w) return;
      this.waiting.delete(answer.seq);
      if (this.waiting.size === 0) {
        worker.unref();
        this.endWhenIdle(worker);
      }
      if ('error' in answer) w.reject(new MimeBuildError(answer.error));
      else w.resolve(Buffer.from(answer.mime.buffer, answer.mime.byteOffset, answer.mime.byteLength));
    });
    worker.on('error', () => this.abandon(worker, true));
    worker.on('exit', () => this.abandon(worker, true));
    this.worker = worker;
    this.startedAt = Date.now();
    return worker;
  }

  /** Ends the thread once it has had nothing to build for MIME_IDLE_MS. */
  private endWhenIdle(worker: Worker): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.worker !== worker || this.waiting.size > 0) return;
      this.abandon(worker, false);
      void worker.terminate();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /**
   * The thread is gone (or going): what it held is built here, and the next message starts a new
   * one. `failed`: it died or never started, rather than being ended on purpose.
   */
  private abandon(worker: Worker, failed: boolean): void {
    if (this.worker !== worker) return;
    if (failed && this.readyAt === null) this.failedStarts++;
    this.worker = null;
    this.readyAt = null;
    const held = [...this.waiting.values()];
    this.waiting.clear();
    for (const { job, resolve, reject } of held) this.buildHere(job.options, job.keepBcc).then(resolve, reject);
  }
}
