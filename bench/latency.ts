// Latency: the time from a hand-over (POST /api/v1/emails) to the e-mail's arrival at the sink,
// with the campaign interval (20 s by default) and with the wakeOnHandOver setting (off by default).
//
// Run alone: node --import tsx bench/latency.ts [--quick]   (quick: a 1 s interval, the seven e-mails
// spread over one interval instead of three, 10 woken hand-overs 50 ms apart instead of 20 250 ms apart; said in the output)
import type { AddressInfo } from 'node:net';
import { buildHttpServer } from '../src/http/index.js';
import { heading, isEntry, median, message, ms, openBenchPostroom, quickMode, sinkSettings, sleep, table, until } from './common.js';
import { nowMs, startCountingSink, type CountingSink } from './sink.js';

interface Run {
  name: string;
  latencies: number[];
}

/**
 * Hands `count` e-mails over through a real Postroom HTTP server, `spacingMs` apart, and returns
 * each one's time from the request to its arrival at the sink.
 */
async function measure(sink: CountingSink, name: string, opts: { intervalSeconds: number; wake: boolean; count: number; spacingMs: number }): Promise<Run> {
  const bench = await openBenchPostroom('sqlite');
  const { postroom } = bench;
  await postroom.settings.update(sinkSettings(sink.port, { campaignIntervalSeconds: opts.intervalSeconds }), 'bench');
  let viaOption = false;
  if (opts.wake) {
    // The setting where this Postroom has it; else the HTTP server's older option of the same name.
    viaOption = await postroom.settings.update({ wakeOnHandOver: true }, 'bench').then(
      () => false,
      () => true,
    );
  }
  const app = await buildHttpServer(postroom, viaOption ? { wakeOnHandOver: true } : {});
  if (viaOption) name += ' (HTTP option: no such setting)';
  try {
    const { token } = await postroom.tokens.create('bench', 'bench');
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/emails`;
    await postroom.dispatcher.start();
    await sleep(200); // past the first campaign, which runs at start
    await sink.reset();
    const sent = new Map<string, number>();
    for (let i = 0; i < opts.count; i++) {
      const at = nowMs();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(message(i)),
      });
      const body = (await res.json()) as { messageId?: string };
      if (res.status !== 202 || !body.messageId) throw new Error(`hand-over refused: ${res.status} ${JSON.stringify(body)}`);
      sent.set(body.messageId, at);
      if (i < opts.count - 1) await sleep(opts.spacingMs);
    }
    await sink.waitFor(opts.count, (2 * opts.intervalSeconds + 10) * 1000);
    const arrivals = await sink.arrivals();
    await until('every arrival recorded', () => arrivals.length >= opts.count, 1000);
    const latencies = arrivals.filter((a) => a.messageId !== null && sent.has(a.messageId)).map((a) => a.at - (sent.get(a.messageId as string) as number));
    return { name, latencies };
  } finally {
    await app.close();
    await bench.cleanup();
  }
}

export async function latencyBenchmark(quick: boolean): Promise<void> {
  const interval = quick ? 1 : 20;
  const count = 7;
  // Quick: spread over one interval (1/7 of it apart), and fewer, closer woken hand-overs.
  const spreadOver = quick ? 1 : 3;
  const woke = quick ? { count: 10, spacingMs: 50 } : { count: 20, spacingMs: 250 };
  heading(
    'Latency',
    `hand-over (HTTP) to arrival at the sink, SQLite; campaign interval ${interval} s${quick ? ` (QUICK MODE: the default is 20 s; ${count} e-mails over one interval, ${woke.count} woken ${woke.spacingMs} ms apart)` : ' (the default)'}`,
  );
  const sink = await startCountingSink({ record: true });
  try {
    // Seven e-mails spread over three intervals: 3/7 of an interval apart, so they fall at
    // seven different points of the campaign cycle.
    const byInterval = await measure(sink, `interval ${interval} s, no wake-up (default)`, { intervalSeconds: interval, wake: false, count, spacingMs: (spreadOver * interval * 1000) / count });
    const woken = await measure(sink, `interval ${interval} s, wakeOnHandOver setting on`, { intervalSeconds: interval, wake: true, ...woke });
    table([
      ['mode', 'e-mails', 'median ms', 'max ms'],
      ...[byInterval, woken].map((r) => [r.name, r.latencies.length, ms(median(r.latencies)), ms(Math.max(...r.latencies))]),
    ]);
    console.log(`   expected with the interval alone: about half an interval on average (${interval * 500} ms), at most one interval plus the send`);
  } finally {
    await sink.close();
  }
}

if (isEntry(import.meta.url)) await latencyBenchmark(quickMode());
