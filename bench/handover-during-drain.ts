// Hand-over latency while the outbox drains: `postroom serve` (SQLite) with a backlog pending;
// single POST /api/v1/emails from 16 clients at once, timed each, with sending off and then on.
//
// Run alone: node --import tsx bench/handover-during-drain.ts [--quick]
// Quick: 1,000 pending and 300 hand-overs a phase (full: 5,000 and 2,000), the settings given over
// HTTP after the start; the p99 ratio is printed as indicative (the p99 of 300 is their third slowest), not judged.
import { performance } from 'node:perf_hooks';
import { heading, int, isEntry, judged, percentile, quickMode, table } from './common.js';
import { inParallel } from './peers.js';
import { startServed, type ServedPostroom } from './served.js';
import { startCountingSink } from './sink.js';

const CLIENTS = 16;

interface Phase {
  name: string;
  latencies: number[];
  seconds: number;
  /** E-mails the sink received while the hand-overs ran, and how many were still waiting at the end. */
  delivered: number;
  waitingAfter: number;
}

/** `count` hand-overs, CLIENTS at a time, each timed from the request to the end of its answer. */
async function handOvers(served: ServedPostroom, count: number, first: number): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  const t0 = performance.now();
  await inParallel(count, CLIENTS, async (i) => {
    const t = performance.now();
    await served.handOver(first + i);
    latencies.push(performance.now() - t);
  });
  return { latencies, seconds: (performance.now() - t0) / 1000 };
}

export async function handoverDuringDrainBenchmark(quick: boolean): Promise<void> {
  const pending = quick ? 1_000 : 5_000;
  const requests = quick ? 300 : 2_000;
  const sink = await startCountingSink();
  // Quick: the settings over HTTP after the start, one process start less (see ServeOptions).
  const served = await startServed('sqlite', sink.port, { settingsOverHttp: quick });
  heading(
    'Hand-over during a drain',
    `${served.command} (SQLite), ${int(pending)} e-mails pending; ${int(requests)} single hand-overs (POST /api/v1/emails), ${CLIENTS} clients at once, with sending off, then while the outbox drains to the sink`,
  );
  try {
    // The backlog, handed over the same way: it also warms the HTTP path up.
    await inParallel(pending, CLIENTS, (i) => served.handOver(i));
    const waiting = async () => {
      const c = await served.counts();
      return (c.pending ?? 0) + (c.error ?? 0);
    };
    const phases: Phase[] = [];
    const before = await sink.received();
    const idle = await handOvers(served, requests, pending);
    phases.push({ name: 'sending off (idle)', ...idle, delivered: (await sink.received()) - before, waitingAfter: await waiting() });
    // Sending on: noticed at the next campaign (interval 1 s); measured once mail is moving (100 sent).
    await served.setSending(true);
    await sink.waitFor(100, 30_000);
    const start = await sink.received();
    const during = await handOvers(served, requests, pending + requests);
    phases.push({ name: 'during the drain', ...during, delivered: (await sink.received()) - start, waitingAfter: await waiting() });
    const [off, on] = phases as [Phase, Phase];
    table([
      ['phase', 'hand-overs', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'hand-overs/s', 'sink got meanwhile', 'e-mails/s sent', 'still waiting after'],
      ...phases.map((p) => [
        p.name,
        int(p.latencies.length),
        percentile(p.latencies, 50).toFixed(1),
        percentile(p.latencies, 90).toFixed(1),
        percentile(p.latencies, 99).toFixed(1),
        Math.max(...p.latencies).toFixed(1),
        int(p.latencies.length / p.seconds),
        int(p.delivered),
        int(p.delivered / p.seconds),
        int(p.waitingAfter),
      ]),
    ]);
    // The drain must have lasted the whole measurement, or part of it measured an idle server.
    if (on.waitingAfter === 0) console.log('   NOTE: the outbox was empty before the last hand-over: part of the "during" phase was not during a drain');
    table([
      ['p99 during the drain / p99 idle', judged(percentile(on.latencies, 99) / percentile(off.latencies, 99), 3, '<', quick)],
      ['p50 during the drain / p50 idle', `${(percentile(on.latencies, 50) / percentile(off.latencies, 50)).toFixed(2)}  (reported)`],
    ]);
  } finally {
    await served.stop();
    await sink.close();
  }
}

if (isEntry(import.meta.url)) await handoverDuringDrainBenchmark(quickMode());
