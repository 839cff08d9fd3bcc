// Batch hand-over (issue 23, month-end runs): e-mails/s through POST /api/v1/emails/batch of Postroom (SQLite, PostgreSQL) against a Fastify route doing BullMQ addBulk.
// Run alone: node --import tsx bench/batch.ts [--quick]; BENCH_CPU_PROF=DIR profiles each server process (node --cpu-prof).
// Quick: one round of 0.5 s runs after a 0.25 s warm-up (full: two rounds of 10 s after 2 s), the three servers started
// side by side before the first run; the targets are printed as indicative, the stored-rows check still counts.
import fs from 'node:fs';
import http from 'node:http';
import { startChildServer, type ChildServer } from './child-server.js';
import { heading, int, isEntry, judged, median, message, quickMode, table } from './common.js';
import type { BatchServerKind } from './batch-server.js';

const BATCH = 100;
const IN_FLIGHT = 4;
/** A run stops at this many e-mails even within its time: BullMQ keeps every job in Redis's memory. */
const MAX_EMAILS = 200_000;

/** The server, and the e-mails (BullMQ: jobs) it has stored, asked of the server itself. */
interface Server extends ChildServer {
  count(): Promise<number>;
}

async function startServer(kind: BatchServerKind): Promise<Server> {
  const server = await startChildServer(new URL('./batch-server.ts', import.meta.url), kind);
  return { ...server, count: async () => (await server.ask<{ count: number }>('count')).count };
}

/**
 * CPU time (ms) of every process of the store's own server: PostgreSQL's backends, or Redis,
 * where BullMQ's Lua scripts do the storing outside our server process. SQLite runs inside the
 * Postroom process and is in its figure already. Whole-machine: other sessions' queries count too.
 */
function storeCpu(kind: BatchServerKind): () => number {
  const comm = kind === 'postroom-postgres' ? 'postgres' : kind === 'bullmq' ? 'redis-server' : null;
  const sample = (): Map<string, number> => {
    const ticks = new Map<string, number>();
    if (!comm) return ticks;
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        if (stat.slice(stat.indexOf('(') + 1, close) !== comm) continue;
        const fields = stat.slice(close + 2).split(' ');
        // utime and stime: fields 14 and 15 of stat, 12 and 13 after the command name.
        ticks.set(pid, Number(fields[11]) + Number(fields[12]));
      } catch {
        // gone meanwhile
      }
    }
    return ticks;
  };
  if (!comm || !fs.existsSync('/proc/self/stat')) return () => NaN;
  const before = sample();
  return () => {
    let total = 0;
    // A backend that started meanwhile counts whole; one that ended is lost (none of ours end mid-run).
    for (const [pid, t] of sample()) total += t - (before.get(pid) ?? 0);
    return total * 10; // USER_HZ is 100 on Linux: a tick is 10 ms
  };
}

interface Drive {
  batches: number;
  /** E-mails the answers say were stored. */
  stored: number;
  /** E-mails refused in their results, or in batches answered other than 200. */
  failed: number;
  seconds: number;
}

/**
 * IN_FLIGHT lanes on keep-alive connections, each posting the same batch again as soon as its
 * answer is in, until `seconds` have passed or MAX_EMAILS are sent; in-flight batches are waited
 * for, so that what the answers say can be checked against what the server stored.
 */
async function drive(server: Server, body: Buffer, seconds: number): Promise<Drive> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const post = () =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/api/v1/emails/batch',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${server.token || 'none'}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const out: Drive = { batches: 0, stored: 0, failed: 0, seconds: 0 };
  let errorShown = false;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let started = 0;
  const lane = async () => {
    while (performance.now() < deadline && started * BATCH < MAX_EMAILS) {
      started++;
      const { status, text } = await post();
      out.batches++;
      if (status !== 200) {
        out.failed += BATCH;
        if (!errorShown) console.error(`   batch answered ${status}: ${text.slice(0, 300)}`);
        errorShown = true;
        continue;
      }
      const { results } = JSON.parse(text) as { results: ({ id: unknown } | { error: unknown })[] };
      const ok = results.filter((r) => 'id' in r).length;
      out.stored += ok;
      out.failed += results.length - ok;
    }
  };
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  } finally {
    agent.destroy();
  }
  out.seconds = (performance.now() - start) / 1000;
  return out;
}

interface Figures extends Drive {
  kind: BatchServerKind;
  round: number;
  perSecond: number;
  /** The server process's CPU per 1,000 e-mails stored (ms): steadier than e-mails/s on a shared machine. */
  cpuPer1000: number;
  /** The store's own server (PostgreSQL, Redis) per 1,000 e-mails (ms); NaN for SQLite. */
  storeCpuPer1000: number;
  /** The rows (jobs) the server holds at the end, against what its answers said it stored. */
  counted: number;
  expected: number;
}

async function load(kind: BatchServerKind, round: number, body: Buffer, seconds: number, warmupSeconds: number, started?: Promise<Server>): Promise<Figures> {
  const server = await (started ?? startServer(kind));
  try {
    // JIT, the first pages of the table, the connection pool: not what a running service pays.
    const warm = await drive(server, body, warmupSeconds);
    await server.cpuMs();
    const storeCpuMs = storeCpu(kind);
    const run = await drive(server, body, seconds);
    const cpuMs = await server.cpuMs();
    const store = storeCpuMs();
    const counted = await server.count();
    const per1000 = (ms: number) => (ms * 1000) / Math.max(1, run.stored);
    return {
      ...run,
      kind,
      round,
      perSecond: run.stored / run.seconds,
      cpuPer1000: per1000(cpuMs),
      storeCpuPer1000: per1000(store),
      counted,
      expected: warm.stored + run.stored,
    };
  } finally {
    await server.stop();
  }
}

const NAMES: Record<BatchServerKind, string> = {
  'postroom-sqlite': 'Postroom POST /emails/batch (SQLite)',
  'postroom-postgres': 'Postroom POST /emails/batch (PostgreSQL)',
  bullmq: 'Fastify route + BullMQ addBulk (Redis)',
};

export async function batchBenchmark(quick: boolean): Promise<void> {
  const seconds = quick ? 0.5 : 10;
  const warmupSeconds = quick ? 0.25 : 2;
  const rounds = quick ? 1 : 2;
  heading(
    'Batch hand-over',
    `batches of ${BATCH} e-mails, ${IN_FLIGHT} in flight on keep-alive connections, ${seconds} s or ${int(MAX_EMAILS)} e-mails (after a ${warmupSeconds} s warm-up) each, ${rounds} round(s) in alternating order; each server fresh in a child process; Postroom with sending disabled and no hand-over rate limit${quick ? ' (QUICK MODE: the full run has 2 rounds of 10 s after 2 s; the servers start side by side)' : ''}`,
  );
  const body = Buffer.from(JSON.stringify({ emails: Array.from({ length: BATCH }, (_, i) => message(i)) }));
  const kinds: BatchServerKind[] = ['postroom-sqlite', 'postroom-postgres', 'bullmq'];
  const all: Figures[] = [];
  // Quick: the first round's servers start at once (each waits idle for its turn); the full run
  // starts each in its turn, so that no start-up shares the machine with a measurement.
  const early = new Map<BatchServerKind, Promise<Server>>(quick ? kinds.map((k) => [k, startServer(k)]) : []);
  try {
    if (quick) await Promise.all(early.values());
    for (let round = 1; round <= rounds; round++) {
      // Alternating order, so that neither warming the machine nor others' load favours one contender.
      for (const kind of round % 2 ? kinds : [...kinds].reverse()) {
        const started = early.get(kind);
        early.delete(kind);
        all.push(await load(kind, round, body, seconds, warmupSeconds, started));
      }
    }
  } finally {
    // Started early and not measured (something failed first): stopped all the same.
    for (const started of early.values()) await started.then((s) => s.stop()).catch(() => undefined);
  }
  const cpu = (x: number) => (Number.isNaN(x) ? '–' : int(x));
  table([
    ['server', 'round', 'batches', 'stored', 'refused', 's', 'e-mails/s', 'server CPU ms/1,000', 'store CPU ms/1,000', 'rows at end'],
    ...all.map((f) => [
      NAMES[f.kind],
      f.round,
      int(f.batches),
      int(f.stored),
      int(f.failed),
      f.seconds.toFixed(1),
      int(f.perSecond),
      cpu(f.cpuPer1000),
      cpu(f.storeCpuPer1000),
      f.counted === f.expected ? `${int(f.counted)} ok` : `${int(f.counted)} MISMATCH (answers: ${int(f.expected)})`,
    ]),
  ]);
  const med = (kind: BatchServerKind, pick: (f: Figures) => number) => median(all.filter((f) => f.kind === kind).map(pick));
  const rate = (kind: BatchServerKind) => med(kind, (f) => f.perSecond);
  console.log('   medians:');
  table([
    ['server', 'e-mails/s', 'server CPU ms/1,000', 'store CPU ms/1,000'],
    ...kinds.map((k) => [NAMES[k], int(rate(k)), cpu(med(k, (f) => f.cpuPer1000)), cpu(med(k, (f) => f.storeCpuPer1000))]),
  ]);
  table([
    ['Postroom SQLite, e-mails/s', judged(Math.round(rate('postroom-sqlite')), 25_000, '>=', quick)],
    ['Postroom SQLite / BullMQ addBulk route', judged(rate('postroom-sqlite') / rate('bullmq'), 1.0, '>=', quick)],
    ['Postroom PostgreSQL / BullMQ addBulk route', `${(rate('postroom-postgres') / rate('bullmq')).toFixed(2)}  (reported, no target)`],
  ]);
  if (all.some((f) => f.counted !== f.expected || f.failed > 0)) {
    console.log('   !! a server refused e-mails or stored other than its answers said: the figures above do not count');
    process.exitCode = 1;
  }
}

if (isEntry(import.meta.url)) await batchBenchmark(quickMode());
