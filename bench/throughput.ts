// Throughput: N e-mails handed over, then drained to the same loopback SMTP sink, side by side:
// Postroom on SQLite and on PostgreSQL, raw pooled nodemailer (the ceiling), pg-boss and BullMQ.
//
// Run alone: node --import tsx bench/throughput.ts [--quick] [--n 20000] [--rounds 2] [--only sqlite]
// (--only runs one contender — raw, sqlite, postgres, pgboss, bullmq — and --cpu-profile FILE
// writes a CPU profile of its drain; read it with bench/cpuprofile.ts)
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { CONNECTIONS, heading, int, isEntry, median, ms, perSecond, pgQuery, quickMode, table, verdict } from './common.js';
import { HANDOVER_CONCURRENCY, bullMq, pgBoss, postroom, rawNodemailer, type Contender } from './peers.js';
import { startCountingSink, type CountingSink } from './sink.js';

interface Result {
  name: string;
  setup: string;
  handOverMs: number;
  drainMs: number;
  /** Share of the drain the main thread's event loop was busy (1 = CPU-bound on one core). */
  busy: number;
  /** Share of the drain the sink process was busy (near 1: the sink, not the contender, is the limit). */
  sinkBusy: number;
}

async function measure(make: () => Promise<Contender>, n: number, sink: CountingSink, profileDrainTo?: string): Promise<Result> {
  const c = await make();
  try {
    const t0 = performance.now();
    await c.handOver(n);
    const t1 = performance.now();
    // PostgreSQL flushes what the hand-overs wrote now rather than in the middle of a drain (its
    // own or the next contender's): every contender's drain starts from the same quiet server.
    await pgQuery('checkpoint').catch(() => undefined);
    await sink.reset();
    const t1Drain = performance.now();
    // --cpu-profile: the drain alone, through the inspector (node --cpu-prof would also take in
    // start-up and the hand-over).
    const session = profileDrainTo ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const elu = performance.eventLoopUtilization();
    await c.drain(n, sink);
    const t2 = performance.now();
    if (session && profileDrainTo) {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(profileDrainTo, JSON.stringify(profile));
      session.disconnect();
    }
    const busy = performance.eventLoopUtilization(elu).utilization;
    const sinkBusy = await sink.busy();
    const received = await sink.received();
    if (received !== n) throw new Error(`${c.name}: the sink got ${received} messages for ${n} e-mails`);
    return { name: c.name, setup: c.setup, handOverMs: t1 - t0, drainMs: t2 - t1Drain, busy, sinkBusy };
  } finally {
    await c.close();
  }
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const CONTENDERS = ['raw', 'sqlite', 'postgres', 'pgboss', 'bullmq'] as const;
type ContenderName = (typeof CONTENDERS)[number];

/** One contender alone (after the warm-up), for profiling; prints its rate only. */
async function onlyOne(name: ContenderName, n: number, profileDrainTo?: string): Promise<void> {
  const sink = await startCountingSink();
  try {
    const make = {
      raw: async () => rawNodemailer(sink.port),
      sqlite: () => postroom('sqlite', sink.port),
      postgres: () => postroom('postgres', sink.port),
      pgboss: () => pgBoss(sink.port),
      bullmq: () => bullMq(sink.port),
    }[name];
    await measure(async () => rawNodemailer(sink.port), Math.min(n, 1000), sink);
    const r = await measure(make, n, sink, profileDrainTo);
    console.log(`   ${r.name}: hand-over ${int(perSecond(n, r.handOverMs))}/s, drain ${int(perSecond(n, r.drainMs))} e-mails/s, main thread busy ${pct(r.busy)} (${Math.round((r.busy * r.drainMs * 1000) / n)} µs per e-mail), sink busy ${pct(r.sinkBusy)}`);
  } finally {
    await sink.close();
  }
}

export async function throughputBenchmark(quick: boolean, n = quick ? 2_000 : 20_000, rounds = quick ? 1 : 2): Promise<void> {
  heading(
    'Throughput',
    `${int(n)} e-mails handed over (${HANDOVER_CONCURRENCY} at a time), then drained to one loopback SMTP sink; ${CONNECTIONS} SMTP connections each; ${rounds} round(s), medians`,
  );
  const sink = await startCountingSink();
  try {
    const port = sink.port;
    // Warm-up: JIT, sockets and the sink, so the first contender is not the one paying for it.
    await measure(async () => rawNodemailer(port), Math.min(n, 1000), sink);
    const makers = [async () => rawNodemailer(port), () => postroom('sqlite', port), () => postroom('postgres', port), () => pgBoss(port), () => bullMq(port)];
    // Rounds run the contenders in turn, so a spell of load on a shared machine hits them all.
    const runs: Result[][] = makers.map(() => []);
    for (let round = 1; round <= rounds; round++) {
      for (const [k, make] of makers.entries()) {
        const r = await measure(make, n, sink);
        runs[k]?.push(r);
        console.log(`   … round ${round}: ${r.name}: ${int(perSecond(n, r.drainMs))} e-mails/s (main thread busy ${pct(r.busy)})`);
      }
    }
    const results: Result[] = runs.map((rs) => ({
      name: rs[0]?.name ?? '?',
      setup: rs[0]?.setup ?? '',
      handOverMs: median(rs.map((r) => r.handOverMs)),
      drainMs: median(rs.map((r) => r.drainMs)),
      busy: median(rs.map((r) => r.busy)),
      sinkBusy: median(rs.map((r) => r.sinkBusy)),
    }));
    const rate = (r: Result) => perSecond(n, r.drainMs);
    table([
      ['contender', 'hand-over ms', 'hand-over/s', 'drain ms', 'drain e-mails/s', 'end-to-end/s', 'main busy', 'setup'],
      ...results.map((r) => [
        r.name,
        ms(r.handOverMs),
        r.name.startsWith('raw') ? '-' : int(perSecond(n, r.handOverMs)),
        ms(r.drainMs),
        int(rate(r)),
        r.name.startsWith('raw') ? '-' : int(perSecond(n, r.handOverMs + r.drainMs)),
        pct(r.busy),
        r.setup,
      ]),
    ]);
    const [raw, sqlite, postgres, boss, bull] = results as [Result, Result, Result, Result, Result];
    console.log('   (main busy: event-loop utilisation of the sending thread while draining; the sink has its own thread)');
    console.log('   ratios of drain throughput:');
    // Issue 13's goals: close to the ceiling on SQLite, and ahead of the best queue library on both.
    const best = rate(boss) > rate(bull) ? boss : bull;
    table([
      ['Postroom SQLite / raw nodemailer', verdict(rate(sqlite) / rate(raw), 0.85)],
      ['Postroom PostgreSQL / raw nodemailer', `${(rate(postgres) / rate(raw)).toFixed(2)}  (no target)`],
      ['Postroom SQLite / pg-boss', (rate(sqlite) / rate(boss)).toFixed(2)],
      ['Postroom PostgreSQL / pg-boss', (rate(postgres) / rate(boss)).toFixed(2)],
      ['Postroom SQLite / BullMQ', (rate(sqlite) / rate(bull)).toFixed(2)],
      ['Postroom PostgreSQL / BullMQ', (rate(postgres) / rate(bull)).toFixed(2)],
      [`Postroom SQLite / best queue library (${best === boss ? 'pg-boss' : 'BullMQ'})`, verdict(rate(sqlite) / rate(best), 1.1)],
      [`Postroom PostgreSQL / best queue library (${best === boss ? 'pg-boss' : 'BullMQ'})`, verdict(rate(postgres) / rate(best), 1.1)],
    ]);
    // The same ratios round by round: on a shared two-core machine one contender's run can meet a
    // spell of load the next one does not, and the spread says how far to trust one run.
    if (rounds > 1) {
      const [rawRuns, sqliteRuns, postgresRuns, bossRuns, bullRuns] = runs as [Result[], Result[], Result[], Result[], Result[]];
      const bestRuns = best === boss ? bossRuns : bullRuns;
      // A's rate over B's in each round, lowest first.
      const eachRound = (a: Result[], b: Result[]) =>
        a
          .map((r, i) => (b[i]?.drainMs ?? NaN) / r.drainMs)
          .sort((x, y) => x - y)
          .map((x) => x.toFixed(2))
          .join(', ');
      console.log('   each round (the ratio of that round\'s two runs):');
      table([
        ['Postroom SQLite / raw nodemailer', eachRound(sqliteRuns, rawRuns)],
        ['Postroom SQLite / best queue library', eachRound(sqliteRuns, bestRuns)],
        ['Postroom PostgreSQL / best queue library', eachRound(postgresRuns, bestRuns)],
      ]);
    }
  } finally {
    await sink.close();
  }
}

if (isEntry(import.meta.url)) {
  const option = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? Number(process.argv[at + 1]) : undefined;
  };
  const only = process.argv[process.argv.indexOf('--only') + 1] as ContenderName;
  if (process.argv.includes('--only')) {
    if (!CONTENDERS.includes(only)) throw new Error(`--only takes one of ${CONTENDERS.join(', ')}`);
    const profile = process.argv.includes('--cpu-profile') ? process.argv[process.argv.indexOf('--cpu-profile') + 1] : undefined;
    await onlyOne(only, option('--n') ?? (quickMode() ? 2_000 : 20_000), profile);
  } else {
    await throughputBenchmark(quickMode(), option('--n'), option('--rounds'));
  }
}
