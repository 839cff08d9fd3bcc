// The loopback SMTP sink every contender sends to: plain SMTP, accepts everything, counts, and
// (when asked) records each arrival's time and Message-ID. It runs in a worker thread of its own.
//
// Why a worker thread: on a two-core machine an in-process sink would take its share of the very
// event loop being measured; in its own thread it gets the second core, and every contender
// pays the same. The count lives in shared memory, so waiting for it costs no messages.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Arrival {
  /** Milliseconds since the epoch (sub-millisecond precision), comparable across threads. */
  at: number;
  messageId: string | null;
}

export interface CountingSink {
  port: number;
  /** DATA commands accepted since the last reset. */
  readonly received: number;
  reset(): void;
  waitFor(n: number, timeoutMs: number): Promise<void>;
  /** Every arrival since the last reset (only with `record: true`). */
  arrivals(): Promise<Arrival[]>;
  /** Share of the time the sink's thread was busy since the last reset (1 = saturated). */
  busy(): number;
  close(): Promise<void>;
}

export interface SinkOptions {
  /** Keep each arrival's time and Message-ID (costs a little per message; off for throughput). */
  record?: boolean;
}

/** Epoch milliseconds with sub-millisecond precision; the same clock in every thread. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

type ToWorker = { type: 'reset' } | { type: 'arrivals'; ask: number } | { type: 'close' };
type FromWorker = { type: 'listening'; port: number } | { type: 'arrivals'; ask: number; arrivals: Arrival[] };

interface WorkerInput {
  counter: SharedArrayBuffer;
  record: boolean;
}

export async function startCountingSink(options: SinkOptions = {}): Promise<CountingSink> {
  const counter = new SharedArrayBuffer(4);
  const count = new Int32Array(counter);
  // The worker is TypeScript too: load tsx's loader in it first (workers do not inherit it).
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const input: WorkerInput = { counter, record: options.record ?? false };
  const worker = new Worker(boot, { eval: true, workerData: input });
  const asks = new Map<number, (a: Arrival[]) => void>();
  let nextAsk = 0;
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'listening') resolve(m.port);
      else asks.get(m.ask)?.(m.arrivals);
    });
  });
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  const send = (m: ToWorker) => worker.postMessage(m);
  let elu = worker.performance.eventLoopUtilization();
  return {
    port,
    get received() {
      return Atomics.load(count, 0);
    },
    reset() {
      Atomics.store(count, 0, 0);
      elu = worker.performance.eventLoopUtilization();
      send({ type: 'reset' });
    },
    async waitFor(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Atomics.load(count, 0) < n) {
        if (Date.now() > deadline) throw new Error(`sink got ${Atomics.load(count, 0)} of ${n} in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    arrivals() {
      const ask = nextAsk++;
      return new Promise<Arrival[]>((resolve) => {
        asks.set(ask, (a) => {
          asks.delete(ask);
          resolve(a);
        });
        send({ type: 'arrivals', ask });
      });
    },
    busy() {
      return worker.performance.eventLoopUtilization(elu).utilization;
    },
    async close() {
      send({ type: 'close' });
      await exited;
    },
  };
}

const MESSAGE_ID = /^message-id:[ \t]*(<[^>\r\n]*>)/im;

function runSinkThread(input: WorkerInput, parent: NonNullable<typeof parentPort>): void {
  const count = new Int32Array(input.counter);
  let arrivals: Arrival[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, cb) {
      // Only the header block is kept, and only when recording: the body is read and dropped.
      let head = input.record ? '' : null;
      stream.on('data', (chunk: Buffer) => {
        if (head !== null && head.length < 16_384 && !head.includes('\r\n\r\n')) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        Atomics.add(count, 0, 1);
        if (head !== null) arrivals.push({ at: nowMs(), messageId: MESSAGE_ID.exec(head)?.[1] ?? null });
        cb(null, 'OK');
      });
    },
  });
  // A client killed mid-dialogue (the crash benchmark) resets its socket: not the sink's problem.
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1', () => {
    parent.postMessage({ type: 'listening', port: (server.server.address() as AddressInfo).port } satisfies FromWorker);
  });
  parent.on('message', (m: ToWorker) => {
    if (m.type === 'reset') arrivals = [];
    else if (m.type === 'arrivals') parent.postMessage({ type: 'arrivals', ask: m.ask, arrivals } satisfies FromWorker);
    else server.close(() => parent.close());
  });
}

if (!isMainThread && parentPort && (workerData as WorkerInput | null)?.counter instanceof SharedArrayBuffer) {
  runSinkThread(workerData as WorkerInput, parentPort);
}
