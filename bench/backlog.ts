// Backlog: pending e-mails inserted in bulk with SQL on SQLite; the time to claim a batch with a
// small and with a huge backlog, and the resident memory while the sending process drains.
//
// Run alone: node --import tsx bench/backlog.ts [--quick]   (its own process: RSS is its own)
// Quick: 100,000 pending (full: 1,000,000) and a 1 s drain (full: 30 s); the RSS target is printed
// as indicative (a tenth of the backlog), not judged.
import { heading, insertPending, int, isEntry, judged, median, ms, openBenchPostroom, percentile, perSecond, quickMode, sampleRss, sinkSettings, sleep, startBoth, table } from './common.js';
import { startCountingSink } from './sink.js';
import type { Postroom } from '../src/app.js';
// Loaded now, not on first use (common.ts loads it lazily): startRss below is "with the code loaded".
import '../src/app.js';

const BATCH = 100; // the dispatcher's default batch size
const CLAIMS = 110;
/** RSS once the code is loaded, before any data: the process's floor (tsx alone adds ~55 MB to it). */
const startRss = process.memoryUsage().rss / 2 ** 20;

/**
 * Claims a batch the way the sending process does (one write transaction, one statement), then
 * gives it back so the backlog keeps its size. Returns the claim times in ms.
 */
async function timeClaims(postroom: Postroom): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < CLAIMS; k++) {
    const t0 = performance.now();
    const rows = await postroom.queue.lifecycle.claim('bench', Date.now(), 300_000, BATCH);
    times.push(performance.now() - t0);
    if (rows.length !== BATCH) throw new Error(`claimed ${rows.length}, expected ${BATCH}`);
    await postroom.queue.lifecycle.release(
      rows.map((r) => r.id),
      'bench',
      Date.now(),
    );
  }
  return times.slice(10); // the first claims warm the page cache and the JIT
}

export async function backlogBenchmark(quick: boolean): Promise<void> {
  const small = 10_000;
  const big = quick ? 100_000 : 1_000_000;
  const drainSeconds = quick ? 1 : 30;
  heading('Backlog', `SQLite; pending e-mails inserted with SQL; claim of ${BATCH} timed at ${int(small)} and ${int(big)}; RSS sampled every 100 ms while draining ${drainSeconds} s${quick ? ' (QUICK MODE: the full run has 1,000,000 and 30 s)' : ''}`);
  const [sink, bench] = await startBoth(startCountingSink(), openBenchPostroom('sqlite'), (s) => s.close(), (b) => b.cleanup());
  const { postroom } = bench;
  try {
    await postroom.settings.update(sinkSettings(sink.port), 'bench');
    let t0 = performance.now();
    await insertPending(postroom, small, 'small', Date.now() - 3_600_000);
    const smallInsert = performance.now() - t0;
    const smallClaims = await timeClaims(postroom);
    t0 = performance.now();
    await insertPending(postroom, big - small, 'big', Date.now() - 3_600_000 + small);
    const bigInsert = performance.now() - t0;
    const bigClaims = await timeClaims(postroom);
    const pending = (await postroom.queue.counts()).pending;

    // Drain: the real sending process, started on the full backlog.
    const before = process.memoryUsage().rss / 2 ** 20;
    const rss = sampleRss(100);
    await sink.reset();
    const d0 = performance.now();
    await postroom.dispatcher.start();
    await sleep(drainSeconds * 1000);
    const delivered = await sink.received();
    const drainMs = performance.now() - d0;
    await postroom.dispatcher.stop();
    const mem = rss.stop();

    table([
      ['backlog', 'insert ms', 'claim median ms', 'claim p95 ms'],
      [int(small), ms(smallInsert), ms(median(smallClaims)), ms(percentile(smallClaims, 95))],
      [int(pending), ms(bigInsert), ms(median(bigClaims)), ms(percentile(bigClaims, 95))],
    ]);
    console.log(`   drained ${int(delivered)} e-mails in ${(drainMs / 1000).toFixed(1)} s from a backlog of ${int(pending)} (${int(perSecond(delivered, drainMs))} e-mails/s)`);
    console.log(
      `   RSS: ${startRss.toFixed(0)} MB with the code loaded, ${before.toFixed(0)} MB before draining, max ${mem.maxMb.toFixed(0)} MB while draining (${mem.samples} samples; the process includes tsx and the sink's thread)`,
    );
    table([
      ['max RSS MB while draining', judged(mem.maxMb, 300, '<', quick)],
      [`claim time ratio ${int(big)} / ${int(small)}`, `${(median(bigClaims) / median(smallClaims)).toFixed(2)}  (target: does not grow, ≈ 1)`],
    ]);
  } finally {
    await bench.cleanup();
    await sink.close();
  }
}

if (isEntry(import.meta.url)) await backlogBenchmark(quickMode());
