// Purge: a million finished e-mails past the retention, purged by the sending process while it
// delivers a stream of pending ones; purge time, and the longest pause in deliveries vs before.
//
// Run alone: node --import tsx bench/purge.ts [--quick] [--postgres | --sqlite-only]   (SQLite; then
// PostgreSQL in the full run, or in a quick one with --postgres)
// Quick: 20,000 finished and 6,000 pending (full: 1,000,000 and 200,000), 1 s before the purge after 0.5 s
// of warm-up (full: 10 s after 1 s).
import { CONNECTIONS, heading, insertFinished, insertPending, int, isEntry, listeningLogger, ms, openBenchPostroom, quickMode, sinkSettings, sleep, startBoth, table, until, type Backend } from './common.js';
import { nowMs, startCountingSink, type Arrival } from './sink.js';

const DAY = 86_400_000;
/** New e-mails handed over per second during both phases, on top of the pending backlog. */
const STREAM_PER_SECOND = 20;

interface Window {
  from: number;
  to: number;
}

/** The longest time without a delivery inside the window (its edges count: a full stall shows). */
function longestPause(arrivals: Arrival[], w: Window): number {
  let last = w.from;
  let longest = 0;
  for (const a of arrivals) {
    if (a.at < w.from || a.at > w.to) continue;
    longest = Math.max(longest, a.at - last);
    last = a.at;
  }
  return Math.max(longest, w.to - last);
}

const inWindow = (arrivals: Arrival[], w: Window) => arrivals.filter((a) => a.at >= w.from && a.at <= w.to).length;

export async function purgeBenchmark(quick: boolean, backend: Backend = 'sqlite'): Promise<void> {
  const finished = quick ? 20_000 : 1_000_000;
  // Enough pending e-mails that sending never runs dry during the purge (a dry queue would show
  // the campaign interval as a "pause").
  const pending = quick ? 6_000 : 200_000;
  const beforeSeconds = quick ? 1 : 10;
  heading(
    `Purge (${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`,
    `${int(finished)} sent e-mails (with their attempts) 40 days old, retention 30 days; meanwhile ${int(pending)} pending + ${STREAM_PER_SECOND}/s handed over, ${CONNECTIONS} connections${quick ? ` (QUICK MODE: the full run has 1,000,000, ${beforeSeconds} s before the purge here instead of 10)` : ''}`,
  );
  let purgedAt: number | null = null;
  let purged = 0;
  const logger = listeningLogger((line) => {
    if (line.msg === 'finished e-mails purged') {
      purgedAt = nowMs();
      purged = Number(line.purged);
    }
  });
  const [sink, bench] = await startBoth(startCountingSink({ record: true }), openBenchPostroom(backend, { logger }), (s) => s.close(), (b) => b.cleanup());
  let postroom = bench.postroom;
  let producing = true;
  let producer: Promise<void> = Promise.resolve();
  try {
    // Retention at ten years first: the "before" phase purges nothing.
    await postroom.settings.update(sinkSettings(sink.port, { campaignIntervalSeconds: 1, retentionDays: 3650 }), 'bench');
    const t0 = performance.now();
    await insertFinished(postroom, finished, 'old', Date.now() - 40 * DAY);
    await insertPending(postroom, pending, 'backlog');
    console.log(`   (history and backlog inserted with SQL in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

    // The stream of new e-mails, on a fixed schedule. Each hand-over's delay is counted from the
    // moment it was due, so one that could not even start (event loop busy) shows too.
    const handOvers: { at: number; ms: number }[] = [];
    let paused = false;
    let current: Promise<unknown> = Promise.resolve();
    producer = (async () => {
      const period = 1000 / STREAM_PER_SECOND;
      let due = nowMs();
      for (let i = 0; producing; i++) {
        while (paused) {
          await sleep(10);
          due = nowMs();
        }
        current = postroom.queue.handOver({ to: [`stream${i}@example.org`], subject: `Stream ${i}`, text: 'x' }, 'bench');
        await current;
        const done = nowMs();
        handOvers.push({ at: due, ms: done - due });
        due = Math.max(due + period, done);
        await sleep(due - nowMs());
      }
    })();

    await sink.reset();
    await postroom.dispatcher.start();
    const warmMs = quick ? 500 : 1000; // the first second (quick: half) warms up
    const beforeWindow = { from: nowMs() + warmMs, to: nowMs() + warmMs + beforeSeconds * 1000 };
    await sleep(beforeSeconds * 1000 + warmMs);
    await postroom.dispatcher.stop();

    // A restart with the retention lowered (a stopped Dispatcher cannot be started again).
    paused = true;
    await current;
    postroom = await bench.reopen({ logger });
    paused = false;
    await postroom.settings.update({ retentionDays: 30 }, 'bench');
    const purgeStart = nowMs();
    // The first campaign starts the purge in the background, then goes on sending.
    await postroom.dispatcher.start();
    // An hour for a million rows at worst (it takes seconds); a purge that never ends is an error, not a hang.
    await until('the purge to finish (the log line "finished e-mails purged")', () => purgedAt !== null, quick ? 120_000 : 3_600_000, 20);
    const duringWindow = { from: purgeStart, to: purgedAt ?? nowMs() };
    await postroom.dispatcher.stop();
    producing = false;
    await producer;

    const arrivals = (await sink.arrivals()).sort((a, b) => a.at - b.at);
    const left = (await postroom.queue.counts()).pending;
    const purgeMs = duringWindow.to - duringWindow.from;
    const row = (name: string, w: Window) => {
      const n = inWindow(arrivals, w);
      // Every hand-over that overlapped the window: one stuck behind the purge started before it.
      const ho = handOvers.filter((h) => h.at <= w.to && h.at + h.ms >= w.from).map((h) => h.ms);
      return [name, ms(w.to - w.from), int(n), int((n / (w.to - w.from)) * 1000), ms(longestPause(arrivals, w)), ms(Math.max(0, ...ho))];
    };
    table([
      ['window', 'ms', 'delivered', 'e-mails/s', 'longest pause ms', 'slowest hand-over ms (from due)'],
      row('before the purge', beforeWindow),
      row('during the purge', duringWindow),
    ]);
    console.log(`   purge: ${int(purged)} e-mails in ${(purgeMs / 1000).toFixed(1)} s (${int((purged / purgeMs) * 1000)} e-mails/s, attempts included)`);
    console.log(`   pending left when the purge ended: ${int(left)}${left === 0 ? ' (ran dry: later pauses are the campaign interval)' : ''}`);
    if (purged !== finished) console.log(`   WARNING: purged ${purged} of ${finished}`);
    const ratio = longestPause(arrivals, duringWindow) / longestPause(arrivals, beforeWindow);
    table([['longest pause during / before', `${ratio.toFixed(2)}  (target: sending continues; no fixed ratio)`]]);
  } finally {
    producing = false;
    await producer.catch(() => undefined);
    await bench.cleanup();
    await sink.close();
  }
}

if (isEntry(import.meta.url)) {
  const quick = quickMode();
  await purgeBenchmark(quick, 'sqlite');
  if ((!quick && !process.argv.includes('--sqlite-only')) || process.argv.includes('--postgres')) await purgeBenchmark(quick, 'postgres');
}
