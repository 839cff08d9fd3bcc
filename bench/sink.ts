// The loopback SMTP sink every contender sends to: plain SMTP, accepts everything, counts, and
// (when asked) records each arrival's time and Message-ID. It runs as a process of its own.
//
// Why a process: a real relay is another program, so the honest ceiling is a sink that shares
// neither the measured event loop nor its heap and garbage collector (a worker thread shares the
// process's allocator and GC pauses). On two cores it takes the second one; every contender pays
// the same. The counting stays in the sink: the measured process only asks, so waiting costs
// nothing per message.
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';

export interface Arrival {
  /** Milliseconds since the epoch (sub-millisecond precision), comparable across processes. */
  at: number;
  messageId: string | null;
}

export interface CountingSink {
  port: number;
  /** Messages (DATA commands accepted) since the last reset. */
  received(): Promise<number>;
  reset(): Promise<void>;
  /** Resolves once the sink has n messages since the last reset. */
  waitFor(n: number, timeoutMs: number): Promise<void>;
  /** Every arrival since the last reset (only with `record: true`). */
  arrivals(): Promise<Arrival[]>;
  /** Share of the time the sink process was busy since the last reset (1 = saturated). */
  busy(): Promise<number>;
  /**
   * The first and last arrival since the last reset (epoch ms, as nowMs) and how many: every
   * contender's drain is timed by this one clock, kept in the sink so no arrival list is shipped.
   */
  window(): Promise<ArrivalWindow>;
  close(): Promise<void>;
}

export interface ArrivalWindow {
  first: number;
  last: number;
  count: number;
}

/** Drain rate timed by the sink: the intervals between the first and the last arrival (count − 1 of them) per second. */
export const windowRate = (w: ArrivalWindow): number => ((w.count - 1) / (w.last - w.first)) * 1000;

export interface SinkOptions {
  /** Keep each arrival's time and Message-ID (costs a little per message; off for throughput). */
  record?: boolean;
}

/** Epoch milliseconds with sub-millisecond precision; the same clock in every process. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

type Question = { type: 'count' } | { type: 'reset' } | { type: 'arrivals' } | { type: 'busy' } | { type: 'window' } | { type: 'waitFor'; n: number };
type ToSink = Question & { ask: number };
type FromSink = { type: 'listening'; port: number } | { type: 'answer'; ask: number; value: unknown };

export async function startCountingSink(options: SinkOptions = {}): Promise<CountingSink> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--sink', options.record ? 'record' : 'count'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (value: unknown) => void>();
  let nextAsk = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the sink process exited (${code}) before listening`)));
    child.on('message', (m: FromSink) => {
      if (m.type === 'listening') resolve(m.port);
      else waiting.get(m.ask)?.(m.value);
    });
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ask = <T>(q: Question): Promise<T> => {
    const id = nextAsk++;
    return new Promise<T>((resolve) => {
      waiting.set(id, (value) => {
        waiting.delete(id);
        resolve(value as T);
      });
      child.send({ ...q, ask: id } satisfies ToSink);
    });
  };
  return {
    port,
    received: () => ask<number>({ type: 'count' }),
    reset: () => ask<void>({ type: 'reset' }),
    async waitFor(n, timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(async () => reject(new Error(`sink got ${await ask<number>({ type: 'count' })} of ${n} in ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([ask<void>({ type: 'waitFor', n }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    arrivals: () => ask<Arrival[]>({ type: 'arrivals' }),
    busy: () => ask<number>({ type: 'busy' }),
    window: () => ask<ArrivalWindow>({ type: 'window' }),
    async close() {
      child.disconnect();
      await exited;
    },
  };
}

const MESSAGE_ID = /^message-id:[ \t]*(<[^>\r\n]*>)/im;

function runSink(record: boolean): void {
  const send = (m: FromSink) => process.send?.(m);
  let count = 0;
  let first = 0;
  let last = 0;
  let arrivals: Arrival[] = [];
  let elu = performance.eventLoopUtilization();
  const waiters: { n: number; ask: number }[] = [];
  const wake = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i] as { n: number; ask: number };
      if (count >= w.n) {
        waiters.splice(i, 1);
        send({ type: 'answer', ask: w.ask, value: null });
      }
    }
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, cb) {
      // Only the header block is kept, and only when recording: the body is read and dropped.
      let head = record ? '' : null;
      stream.on('data', (chunk: Buffer) => {
        if (head !== null && head.length < 16_384 && !head.includes('\r\n\r\n')) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        count++;
        last = nowMs();
        if (count === 1) first = last;
        if (head !== null) arrivals.push({ at: last, messageId: MESSAGE_ID.exec(head)?.[1] ?? null });
        cb(null, 'OK');
        if (waiters.length) wake();
      });
    },
  });
  // A client killed mid-dialogue (the crash benchmark) resets its socket: not the sink's problem.
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1', () => send({ type: 'listening', port: (server.server.address() as AddressInfo).port }));
  process.on('message', (m: ToSink) => {
    const answer = (value: unknown) => send({ type: 'answer', ask: m.ask, value });
    if (m.type === 'count') answer(count);
    else if (m.type === 'arrivals') answer(arrivals);
    else if (m.type === 'busy') answer(performance.eventLoopUtilization(elu).utilization);
    else if (m.type === 'window') answer({ first, last, count } satisfies ArrivalWindow);
    else if (m.type === 'reset') {
      count = 0;
      first = 0;
      last = 0;
      arrivals = [];
      elu = performance.eventLoopUtilization();
      answer(null);
    } else {
      waiters.push({ n: m.n, ask: m.ask });
      wake();
    }
  });
  // The parent gone (closed or killed): stop listening and leave.
  process.once('disconnect', () => server.close(() => process.exit(0)));
}

if (process.argv[2] === '--sink') runSink(process.argv[3] === 'record');
