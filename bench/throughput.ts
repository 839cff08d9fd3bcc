// Throughput: N e-mails handed over, then drained to the same loopback SMTP sink, side by side:
// Postroom as deployed (`postroom serve`, SQLite and PostgreSQL) and as a library, raw pooled
// nodemailer (every message at once, and CONNECTIONS sends in flight: the ceiling is the stronger),
// pg-boss and BullMQ. Every drain is timed by the sink, from the first message it receives to the last.
//
// Quick (--quick): 500 e-mails, one round, five contenders (raw nodemailer 3 in flight, Postroom
// SQLite served and library, PostgreSQL served, BullMQ; the full run adds pg-boss, raw nodemailer
// every message at once and PostgreSQL as a library), the two served started side by side (their
// settings given over HTTP) and warmed up with 100 e-mails; its ratios are printed as indicative, not judged.
//
// Run alone: node --import tsx bench/throughput.ts [--quick] [--n 20000] [--rounds 2] [--only sqlite]
// (--only runs one contender — raw, raw-3, sqlite, postgres, sqlite-library, postgres-library,
// pgboss, bullmq — and --cpu-profile FILE writes a CPU profile of its drain: of `postroom serve`'s main
// thread for sqlite and postgres, of this process for the others; read it with bench/cpuprofile.ts)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { CONNECTIONS, heading, int, isEntry, judged, median, pgQuery, quickMode, table, type Backend } from './common.js';
import { summarise, type CpuProfile } from './cpuprofile.js';
import { HANDOVER_CONCURRENCY, bullMq, pgBoss, postroom, postroomServed, rawNodemailer, type Contender } from './peers.js';
import { mainThreadProfile } from './served.js';
import { nowMs, startCountingSink, windowRate, type CountingSink } from './sink.js';

interface Result {
  name: string;
  setup: string;
  handOverMs: number;
  /** E-mails a second between the sink's first and last arrival: (count − 1) / (last − first). */
  rate: number;
  /** The sink's first and last arrival on this process's monotonic clock (µs), the clock of a CPU profile. */
  windowUs: { from: number; to: number };
  /** CPU time of the sending process (every thread) from "start sending" to "all recorded", per e-mail. */
  cpuUsPerEmail: number;
  /** Share of the drain the main thread's event loop was busy (in-process contenders only; NaN for a served one). */
  busy: number;
  /** Share of the drain the sink process was busy (near 1: the sink, not the contender, is the limit). */
  sinkBusy: number;
}

/** Served Postroom sends this many e-mails before the measured hand-over (JIT, MIME thread, route). */
const SERVED_WARM_UP = 300;
/** The same in quick mode. */
const QUICK_SERVED_WARM_UP = 100;

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
    // --cpu-profile of an in-process contender: the drain alone, through the inspector (node
    // --cpu-prof would also take in start-up and the hand-over). A served one is profiled by
    // node --cpu-prof in its own process, cut to the sink's window afterwards.
    const session = profileDrainTo && !c.served ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const cpu0 = c.cpuMs();
    const elu = performance.eventLoopUtilization();
    await c.drain(n, sink);
    const cpuMs = c.cpuMs() - cpu0;
    const busy = c.served ? NaN : performance.eventLoopUtilization(elu).utilization;
    if (session && profileDrainTo) {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(profileDrainTo, JSON.stringify(profile));
      session.disconnect();
    }
    const sinkBusy = await sink.busy();
    const w = await sink.window();
    if (w.count !== n) throw new Error(`${c.name}: the sink got ${w.count} messages for ${n} e-mails`);
    // Epoch ms (the sink's clock) to this machine's monotonic µs (a CPU profile's clock).
    const monoNow = Number(process.hrtime.bigint() / 1000n);
    const epochNow = nowMs();
    const windowUs = { from: monoNow - (epochNow - w.first) * 1000, to: monoNow - (epochNow - w.last) * 1000 };
    return { name: c.name, setup: c.setup, handOverMs: t1 - t0, rate: windowRate(w), windowUs, cpuUsPerEmail: (cpuMs * 1000) / n, busy, sinkBusy };
  } finally {
    await c.close();
  }
}

const pct = (x: number) => (Number.isNaN(x) ? '-' : `${Math.round(x * 100)}%`);
const CONTENDERS = ['raw', 'raw-3', 'sqlite', 'postgres', 'sqlite-library', 'postgres-library', 'pgboss', 'bullmq'] as const;
type ContenderName = (typeof CONTENDERS)[number];
/**
 * Quick mode's contenders: every one a target ratio of the quick run needs (served and library
 * SQLite, served PostgreSQL, against raw nodemailer and BullMQ). Left out: pg-boss (reported only),
 * raw nodemailer every message at once (the weaker form with 100 messages a connection) and
 * PostgreSQL as a library.
 */
const QUICK_CONTENDERS: readonly ContenderName[] = ['raw-3', 'sqlite', 'postgres', 'sqlite-library', 'bullmq'];

function maker(name: ContenderName, port: number, profileDir?: string, warmUp = SERVED_WARM_UP, quick = false): () => Promise<Contender> {
  const served = (backend: Backend) => () => postroomServed(backend, port, { warmUp, cpuProfileDir: profileDir, settingsOverHttp: quick });
  return {
    raw: async () => rawNodemailer(port),
    'raw-3': async () => rawNodemailer(port, CONNECTIONS),
    sqlite: served('sqlite'),
    postgres: served('postgres'),
    'sqlite-library': () => postroom('sqlite', port),
    'postgres-library': () => postroom('postgres', port),
    pgboss: () => pgBoss(port),
    bullmq: () => bullMq(port),
  }[name];
}

/** One contender alone (after the warm-up), for profiling; prints its rate only. */
async function onlyOne(name: ContenderName, n: number, profileTo?: string): Promise<void> {
  const sink = await startCountingSink();
  const servedProfile = profileTo && (name === 'sqlite' || name === 'postgres') ? fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-bench-prof-')) : undefined;
  try {
    await measure(maker('raw', sink.port), Math.min(n, 1000), sink);
    let pid = 0;
    const make = maker(name, sink.port, servedProfile);
    const r = await measure(
      async () => {
        const c = await make();
        pid = (c as Contender & { pid?: number }).pid ?? 0;
        return c;
      },
      n,
      sink,
      servedProfile ? undefined : profileTo,
    );
    console.log(`   ${r.name}: hand-over ${int((n / r.handOverMs) * 1000)}/s, drain ${int(r.rate)} e-mails/s (sink-timed), sending process CPU ${int(r.cpuUsPerEmail)} µs per e-mail, main thread busy ${pct(r.busy)}, sink busy ${pct(r.sinkBusy)}`);
    if (servedProfile && profileTo) {
      // The served process wrote its profile at exit (close() sent SIGTERM): its main thread's,
      // cut to the sink's window (the same monotonic clock), so start-up and hand-over stay out.
      const main = await mainThreadProfile(servedProfile, pid);
      fs.copyFileSync(main, profileTo);
      const window = `--from ${Math.round(r.windowUs.from)} --to ${Math.round(r.windowUs.to)}`;
      console.log(`   profile of postroom serve's main thread: ${profileTo}; the drain alone: node --import tsx bench/cpuprofile.ts ${profileTo} ${window}`);
      // Its worker threads (the MIME builder, the WAL checkpointer) wrote theirs too: kept beside it.
      for (const f of fs.readdirSync(servedProfile).filter((f) => f.includes(`.${pid}.`) && path.join(servedProfile, f) !== main)) {
        const thread = f.split('.')[4];
        fs.copyFileSync(path.join(servedProfile, f), `${profileTo}.thread-${thread}.cpuprofile`);
        console.log(`   worker thread ${thread}: ${profileTo}.thread-${thread}.cpuprofile`);
      }
      const profile = JSON.parse(fs.readFileSync(profileTo, 'utf8')) as CpuProfile;
      for (const line of summarise(profile, 25, r.windowUs)) console.log(`   ${line}`);
    }
  } finally {
    if (servedProfile) fs.rmSync(servedProfile, { recursive: true, force: true });
    await sink.close();
  }
}

export async function throughputBenchmark(quick: boolean, n = quick ? 500 : 20_000, rounds = quick ? 1 : 2): Promise<void> {
  const contenders = quick ? QUICK_CONTENDERS : CONTENDERS;
  const warmUp = quick ? QUICK_SERVED_WARM_UP : SERVED_WARM_UP;
  heading(
    'Throughput',
    `${int(n)} e-mails handed over (${HANDOVER_CONCURRENCY} at a time), then drained to one loopback SMTP sink (a process of its own); ${CONNECTIONS} SMTP connections each; drain timed by the sink from its first message to its last; ${rounds} round(s), medians`,
  );
  if (quick) {
    console.log(`   QUICK MODE: ${int(n)} e-mails, served Postroom warmed up with ${warmUp}; pg-boss, raw nodemailer every message at once and Postroom PostgreSQL (library) left out (the full run has every contender); ratios indicative`);
  }
  const sink = await startCountingSink();
  // Quick: both served contenders start (and warm up) side by side before anything is measured,
  // and wait with sending off for their turn; the full run starts each in its turn.
  const early = new Map<ContenderName, Promise<Contender>>();
  try {
    const port = sink.port;
    if (quick) {
      for (const name of ['sqlite', 'postgres'] as const) early.set(name, maker(name, port, undefined, warmUp, quick)());
      await Promise.all(early.values());
    }
    // Warm-up: JIT, sockets and the sink, so the first contender is not the one paying for it.
    await measure(maker('raw', port), Math.min(n, quick ? 300 : 1000), sink);
    // Rounds run the contenders in turn, so a spell of load on a shared machine hits them all.
    const runs = new Map<ContenderName, Result[]>(contenders.map((name) => [name, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const name of contenders) {
        const t0 = performance.now();
        const started = early.get(name);
        early.delete(name);
        const r = await measure(started ? () => started : maker(name, port, undefined, warmUp, quick), n, sink);
        runs.get(name)?.push(r);
        console.log(`   … round ${round}: ${r.name}: ${int(r.rate)} e-mails/s, ${int(r.cpuUsPerEmail)} µs CPU per e-mail (${((performance.now() - t0) / 1000).toFixed(1)} s in all)`);
      }
    }
    const all = (name: ContenderName) => runs.get(name) as Result[];
    const med = (name: ContenderName) => {
      const rs = all(name);
      const f = (pick: (r: Result) => number) => median(rs.map(pick));
      return { first: rs[0] as Result, handOverMs: f((r) => r.handOverMs), rate: f((r) => r.rate), cpu: f((r) => r.cpuUsPerEmail), busy: f((r) => r.busy), sinkBusy: f((r) => r.sinkBusy) };
    };
    table([
      ['contender', 'hand-over/s', 'drain e-mails/s', 'each round', 'CPU µs/e-mail', 'main busy', 'sink busy', 'setup'],
      ...contenders.map((name) => {
        const m = med(name);
        return [
          m.first.name,
          name.startsWith('raw') ? '-' : int((n / m.handOverMs) * 1000),
          int(m.rate),
          all(name)
            .map((r) => int(r.rate))
            .join(', '),
          int(m.cpu),
          pct(m.busy),
          pct(m.sinkBusy),
          m.first.setup,
        ];
      }),
    ]);
    console.log('   (drain: (messages − 1) / (last arrival − first arrival) at the sink; CPU: the sending process, every thread, from "start" to "all recorded";');
    console.log('    main busy: event-loop utilisation of this process while draining, for the in-process contenders)');
    // The ceiling: the stronger raw form, by its median (and round by round, that round's stronger).
    type Baseline = ContenderName | 'raw-best';
    const ran = (name: ContenderName) => contenders.includes(name);
    const rawBest = ran('raw') && rate('raw') >= rate('raw-3') ? 'raw' : 'raw-3';
    function rate(name: Baseline): number {
      return name === 'raw-best' ? rate(rawBest) : med(name).rate;
    }
    const roundRate = (name: Baseline, i: number) =>
      name === 'raw-best' ? Math.max(...(['raw', 'raw-3'] as const).filter(ran).map((raw) => all(raw)[i]?.rate ?? NaN)) : (all(name)[i]?.rate ?? NaN);
    if (ran('raw')) console.log(`   raw nodemailer below: the stronger form, ${med(rawBest).first.name} (${int(rate(rawBest))} against ${int(rate(rawBest === 'raw' ? 'raw-3' : 'raw'))} e-mails/s)`);
    else console.log(`   raw nodemailer below: ${med(rawBest).first.name} (the stronger form in full runs; the other is left out in quick mode)`);
    // Issue 23's targets: as users deploy Postroom, against the strongest use of nodemailer and BullMQ.
    const targets: [string, ContenderName, Baseline, number][] = [
      ['Postroom SQLite (served) / raw nodemailer', 'sqlite', 'raw-best', 0.9],
      ['Postroom SQLite (served) / BullMQ', 'sqlite', 'bullmq', 1.25],
      ['Postroom PostgreSQL (served) / raw nodemailer', 'postgres', 'raw-best', 0.8],
      ['Postroom PostgreSQL (served) / BullMQ', 'postgres', 'bullmq', 1.1],
      ['Postroom SQLite (library) / raw nodemailer', 'sqlite-library', 'raw-best', 0.9],
      ['Postroom SQLite (library) / BullMQ', 'sqlite-library', 'bullmq', 1.25],
      ['Postroom PostgreSQL (library) / raw nodemailer', 'postgres-library', 'raw-best', 0.8],
      ['Postroom PostgreSQL (library) / BullMQ', 'postgres-library', 'bullmq', 1.1],
    ];
    const reported: [string, ContenderName, Baseline][] = [
      ['Postroom SQLite (served) / pg-boss', 'sqlite', 'pgboss'],
      ['Postroom PostgreSQL (served) / pg-boss', 'postgres', 'pgboss'],
      ['BullMQ / raw nodemailer', 'bullmq', 'raw-best'],
      ['raw nodemailer: every message at once / 3 in flight', 'raw', 'raw-3'],
      ['Postroom SQLite: served / library', 'sqlite', 'sqlite-library'],
      ['Postroom PostgreSQL: served / library', 'postgres', 'postgres-library'],
    ];
    // The same ratios round by round: on a shared two-core machine one contender's run can meet a
    // spell of load the next one does not, and the spread says how far to trust one run.
    const eachRound = (a: ContenderName, b: Baseline) =>
      all(a)
        .map((r, i) => r.rate / roundRate(b, i))
        .sort((x, y) => x - y)
        .map((x) => x.toFixed(2))
        .join(', ');
    // Quick mode prints the ratios whose contenders both ran, none judged: one short round is too noisy.
    const both = (a: ContenderName, b: Baseline) => ran(a) && (b === 'raw-best' || ran(b));
    console.log(`   ratios of drain throughput (medians${rounds > 1 ? "; each round: that round's runs, lowest first" : ''}):`);
    table([
      ['ratio', 'medians', ...(rounds > 1 ? ['each round'] : [])],
      ...targets.filter(([, a, b]) => both(a, b)).map(([label, a, b, target]) => [label, judged(rate(a) / rate(b), target, '>=', quick), ...(rounds > 1 ? [eachRound(a, b)] : [])]),
      ...reported.filter(([, a, b]) => both(a, b)).map(([label, a, b]) => [label, `${(rate(a) / rate(b)).toFixed(2)}  (reported)`, ...(rounds > 1 ? [eachRound(a, b)] : [])]),
    ]);
  } finally {
    // A contender started early and never measured (something failed first): stopped all the same.
    for (const started of early.values()) await started.then((c) => c.close()).catch(() => undefined);
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
    await onlyOne(only, option('--n') ?? (quickMode() ? 500 : 20_000), profile);
  } else {
    await throughputBenchmark(quickMode(), option('--n'), option('--rounds'));
  }
}
