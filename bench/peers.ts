// The contenders of the throughput benchmark, behind one interface: Postroom as deployed
// (`postroom serve`, SQLite or PostgreSQL) and as a library in this process, raw pooled
// nodemailer (no queue: the ceiling), pg-boss 10 and BullMQ workers.
//
// Fairness: every contender sends the same messages (same From, To, Subject, text and a
// Message-ID made at hand-over) through a nodemailer pool of CONNECTIONS connections, 100
// messages per connection (Postroom's own SMTP route settings). The queues run CONNECTIONS sends
// at once; raw nodemailer runs twice: every message at once, and CONNECTIONS sends in flight.
import crypto from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import PgBoss from 'pg-boss';
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { CONNECTIONS, PG_URL, POSTMASTER, REDIS, deleteRedisKeys, message, onInterrupt, openBenchPostroom, pgQuery, sinkSettings, until, type Backend, type BenchPostroom } from './common.js';
import type { CountingSink } from './sink.js';
import { startServed, type ServeOptions } from './served.js';

/** Host applications hand e-mails over one at a time, from a few request handlers at once. */
export const HANDOVER_CONCURRENCY = 8;

/** pg-boss fetches this many jobs per worker per poll (its `batchSize`); see pgBoss() for why. */
export const PGBOSS_BATCH = 100;
/** pg-boss's smallest polling interval (its floor is 0.5 s); a worker sleeps it out after a short batch. */
export const PGBOSS_POLL_SECONDS = 0.5;

/**
 * How long a drain of n e-mails may take before it is an error (the sink's count in the message):
 * ten times the slowest contender's pace and half a minute more, not ten minutes whatever n is.
 */
export const drainTimeoutMs = (n: number): number => 30_000 + 10 * n;

export interface Contender {
  name: string;
  /** How the contender was set up, for the printout. */
  setup: string;
  /** Stores n e-mails, one hand-over per e-mail, HANDOVER_CONCURRENCY at a time. */
  handOver(n: number): Promise<void>;
  /** Starts sending; resolves when the sink has all n and the queue records every one as done. */
  drain(n: number, sink: CountingSink): Promise<void>;
  /** CPU time (ms, every thread) of the process that sends: this one, or the served one. */
  cpuMs(): number;
  /** Sends from a process of its own (`postroom serve`): this process's event loop is not the sender's. */
  served?: boolean;
  close(): Promise<void>;
}

/** This process's CPU time (user + system, every thread), in ms. */
const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

interface MailJob {
  to: string[];
  subject: string;
  text: string;
  messageId: string;
}

const mailJob = (i: number): MailJob => ({ ...message(i), messageId: `<${crypto.randomUUID()}@example.com>` });

export const transport = (port: number): Transporter =>
  nodemailer.createTransport({ pool: true, host: '127.0.0.1', port, ignoreTLS: true, maxConnections: CONNECTIONS, maxMessages: 100 });

const send = (t: Transporter, job: MailJob) => t.sendMail({ from: POSTMASTER, to: job.to, subject: job.subject, text: job.text, messageId: job.messageId, date: new Date() });

/** Runs fn(0..n-1) with at most `concurrency` calls in flight. */
export async function inParallel(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, lane));
}

/**
 * No queue at all: the messages are in memory and go straight to the pool, in one of two forms.
 * Every message at once (`inFlight` undefined): nodemailer queues them all and a connection that
 * frees takes the next without waiting for this code. `inFlight` sends at a time: each message is
 * built only after one before it finished. The first looks like the stronger use and is, with
 * connections that are never retired (2,369–2,399 against 1,846–2,222 e-mails/s for 10,000,
 * maxMessages 1,000,000); but with 100 messages a connection (as every contender here) it is
 * the weaker (837–953 against 1,005–1,235): nodemailer's pool replaces a connection retired
 * after its 100th message only 100 ms later (smtp-pool _continueProcessing) unless a new
 * sendMail() wakes it at once, which only the second form does (with that wait patched out,
 * every message at once did 1,456–1,513 against 1,203–1,306). Both run; the ratios take the
 * stronger of the two as the ceiling.
 */
export function rawNodemailer(sinkPort: number, inFlight?: number): Contender {
  let jobs: MailJob[] = [];
  const t = transport(sinkPort);
  return {
    name: inFlight === undefined ? 'raw nodemailer, every message at once' : `raw nodemailer, ${inFlight} sends in flight`,
    setup: inFlight === undefined ? `pool of ${CONNECTIONS}, every sendMail() at once` : `pool of ${CONNECTIONS}, ${inFlight} sendMail() in flight`,
    async handOver(n) {
      jobs = Array.from({ length: n }, (_, i) => mailJob(i));
    },
    async drain(n, sink) {
      if (inFlight === undefined) await Promise.all(jobs.map((job) => send(t, job)));
      else await inParallel(n, inFlight, (i) => send(t, jobs[i] as MailJob));
      await sink.waitFor(n, drainTimeoutMs(n));
    },
    cpuMs: ownCpuMs,
    async close() {
      t.close();
    },
  };
}

const dbName = (backend: Backend) => (backend === 'sqlite' ? 'SQLite' : 'PostgreSQL');

/**
 * Postroom as deployed: `postroom serve` in a process of its own (bench/served.ts), e-mails handed
 * over through POST /api/v1/emails (HANDOVER_CONCURRENCY requests at once, keep-alive) with
 * sending off, then sending switched on by the administrator. The server is warmed up first by
 * sending `warmUp` e-mails to the sink, as a server that has been running would be.
 */
export async function postroomServed(backend: Backend, sinkPort: number, options: ServeOptions & { warmUp?: number } = {}): Promise<Contender & { pid: number }> {
  const served = await startServed(backend, sinkPort, options);
  const warm = options.warmUp ?? 0;
  try {
    if (warm > 0) {
      // JIT, the MIME thread and the route, through the same path; then sending off again.
      await inParallel(warm, HANDOVER_CONCURRENCY, (i) => served.handOver(i));
      await served.setSending(true);
      await until('the warm-up e-mails to be sent', async () => (await served.counts()).sent === warm, 60_000, 50);
      await served.setSending(false);
    }
  } catch (err) {
    await served.stop();
    throw err;
  }
  return {
    name: `Postroom ${dbName(backend)} (served)`,
    setup: `postroom serve, ${warm} e-mails sent first, HTTP hand-overs, campaignIntervalSeconds 1`,
    served: true,
    pid: served.pid,
    async handOver(n) {
      await inParallel(n, HANDOVER_CONCURRENCY, (i) => served.handOver(i));
    },
    async drain(n, sink) {
      // Noticed at the next campaign (≤ 1 s): the sink's window starts at the first arrival.
      await served.setSending(true);
      await sink.waitFor(n, drainTimeoutMs(n));
      await until('Postroom to record every e-mail as sent', async () => (await served.counts()).sent === warm + n, 60_000, 20);
    },
    cpuMs: () => served.cpuMs(),
    close: () => served.stop(),
  };
}

/** Postroom as a library: in-process hand-overs, the sending process started once the backlog is in. */
export async function postroom(backend: Backend, sinkPort: number): Promise<Contender> {
  const bench: BenchPostroom = await openBenchPostroom(backend);
  const { postroom: p } = bench;
  await p.settings.update(sinkSettings(sinkPort), 'bench');
  return {
    name: `Postroom ${dbName(backend)} (library)`,
    setup: `openPostroom() in this process, defaults`,
    async handOver(n) {
      await inParallel(n, HANDOVER_CONCURRENCY, (i) => p.queue.handOver(message(i), 'bench'));
    },
    async drain(n, sink) {
      // The first campaign runs at start() and claims batch after batch until the queue is empty.
      await p.dispatcher.start();
      await sink.waitFor(n, drainTimeoutMs(n));
      await until('Postroom to record every e-mail as sent', async () => (await p.queue.counts()).sent === n, 60_000);
    },
    cpuMs: ownCpuMs,
    close: () => bench.cleanup(),
  };
}

/**
 * pg-boss 10: jobs in its own schema, a queue made with createQueue(), one `work()` per
 * connection (in v10 each work() call adds one polling worker: that is how concurrency is had),
 * each fetching `batchSize` jobs and sending them one after the other. pg-boss completes the
 * batch when the handler resolves. A worker that finishes a batch in less than its polling
 * interval waits out the rest of it (v10 worker loop), so the batch must be big enough.
 */
export async function pgBoss(sinkPort: number, batchSize = PGBOSS_BATCH): Promise<Contender> {
  const schema = `pgboss_bench_${crypto.randomBytes(5).toString('hex')}`;
  const name = 'email';
  const forget = onInterrupt(() => pgQuery(`drop schema if exists ${schema} cascade`));
  const boss = new PgBoss({ connectionString: PG_URL, schema });
  boss.on('error', (err: Error) => console.error(`pg-boss: ${err.message}`));
  await boss.start();
  await boss.createQueue(name);
  const t = transport(sinkPort);
  return {
    name: 'pg-boss 10 + nodemailer worker',
    setup: `${CONNECTIONS} × work({batchSize: ${batchSize}, pollingIntervalSeconds: ${PGBOSS_POLL_SECONDS}})`,
    async handOver(n) {
      await inParallel(n, HANDOVER_CONCURRENCY, (i) => boss.send(name, mailJob(i)));
    },
    async drain(n, sink) {
      for (let k = 0; k < CONNECTIONS; k++) {
        await boss.work<MailJob>(name, { batchSize, pollingIntervalSeconds: PGBOSS_POLL_SECONDS }, async (jobs) => {
          for (const job of jobs) await send(t, job.data);
        });
      }
      await sink.waitFor(n, drainTimeoutMs(n));
      await until('pg-boss to complete every job', async () => (await boss.getQueueSize(name, { before: 'completed' })) === 0, 60_000);
    },
    cpuMs: ownCpuMs,
    async close() {
      t.close();
      try {
        await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      } finally {
        await pgQuery(`drop schema if exists ${schema} cascade`);
        forget();
      }
    },
  };
}

/**
 * BullMQ on the local Redis: one Worker with `concurrency` = CONNECTIONS (BullMQ's way of
 * running several jobs at once in one process), started after the backlog is in. The queue has
 * a unique name and key prefix; it is obliterated and any leftover key deleted at the end.
 */
export async function bullMq(sinkPort: number): Promise<Contender> {
  const prefix = `postroom-bench-${crypto.randomBytes(5).toString('hex')}`;
  const name = 'email';
  const connection = { ...REDIS, maxRetriesPerRequest: null };
  const deleteKeys = () => deleteRedisKeys(prefix);
  const forget = onInterrupt(deleteKeys);
  const queue = new BullQueue<MailJob>(name, { connection, prefix });
  const t = transport(sinkPort);
  let worker: BullWorker<MailJob> | null = null;
  return {
    name: 'BullMQ (Redis) + nodemailer worker',
    setup: `Worker({concurrency: ${CONNECTIONS}}), completed jobs kept (BullMQ default)`,
    async handOver(n) {
      await inParallel(n, HANDOVER_CONCURRENCY, (i) => queue.add('email', mailJob(i)));
    },
    async drain(n, sink) {
      worker = new BullWorker<MailJob>(name, async (job) => void (await send(t, job.data)), { connection, prefix, concurrency: CONNECTIONS });
      worker.on('error', (err) => console.error(`BullMQ worker: ${err.message}`));
      await sink.waitFor(n, drainTimeoutMs(n));
      await until('BullMQ to complete every job', async () => (await queue.getJobCounts('completed')).completed === n, 60_000);
    },
    cpuMs: ownCpuMs,
    async close() {
      t.close();
      try {
        await worker?.close();
        await queue.obliterate({ force: true });
        await queue.close();
      } finally {
        // obliterate() leaves the queue's meta and event keys: nothing of ours may stay behind.
        await deleteKeys();
        forget();
      }
    },
  };
}
