// Hand-over: autocannon against POST /api/v1/emails of a real Postroom HTTP server (SQLite, then
// PostgreSQL) and against a bare Fastify route that validates the same body schema and answers
// 202, same payload and connections.
//
// Run alone: node --import tsx bench/handover.ts [--quick]
// Quick: 0.5 s runs after a 0.25 s warm-up (full: 20 s after 2 s), the three servers started side by
// side before the first run; the ratio is printed as indicative, not judged.
// BENCH_CPU_PROF=DIR profiles each server process (node --cpu-prof into DIR).
import autocannon, { type Result } from 'autocannon';
import { startChildServer, type ChildServer } from './child-server.js';
import { heading, int, isEntry, judged, message, quickMode, table } from './common.js';
import type { ServerKind } from './handover-server.js';

const CONNECTIONS = 10;
const WARMUP_SECONDS = 2;
const QUICK_WARMUP_SECONDS = 0.25;

type Server = ChildServer;

const startServer = (kind: ServerKind): Promise<Server> => startChildServer(new URL('./handover-server.ts', import.meta.url), kind);

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  /** The server's CPU time per answered request (µs): steadier than req/s on a shared machine. */
  cpuUsPerRequest: number;
}

async function load(kind: ServerKind, name: string, seconds: number, warmUpSeconds: number, quick: boolean, started?: Promise<Server>): Promise<Figures> {
  const server = await (started ?? startServer(kind));
  try {
    const run = (duration: number): Promise<Result> =>
      autocannon({
        url: `http://127.0.0.1:${server.port}/api/v1/emails`,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token || 'none'}` },
        body: JSON.stringify(message(1)),
        connections: CONNECTIONS,
        pipelining: 1,
        duration,
        // A run ends at the first sample after its duration: quick mode's short runs sample every 250 ms.
        ...(quick ? { sampleInt: 250 } : {}),
      });
    // JIT and the first SQLite pages: not what a running service pays.
    await run(warmUpSeconds);
    await server.cpuMs();
    const result = await run(seconds);
    const cpuMs = await server.cpuMs();
    const ok = result['2xx'];
    const bad = result.non2xx + result.errors + result.timeouts;
    return { name, rps: ok / result.duration, p50: result.latency.p50, p99: result.latency.p99, ok, bad, cpuUsPerRequest: (cpuMs * 1000) / Math.max(1, ok + bad) };
  } finally {
    await server.stop();
  }
}

export async function handoverBenchmark(quick: boolean): Promise<void> {
  const seconds = quick ? 0.5 : 20;
  const warmUpSeconds = quick ? QUICK_WARMUP_SECONDS : WARMUP_SECONDS;
  heading(
    'Hand-over',
    `autocannon, ${CONNECTIONS} connections, ${seconds} s (after a ${warmUpSeconds} s warm-up) each; the server in a child process; Postroom with sending disabled (hand-over path only)${quick ? ' (QUICK MODE: the full run has 20 s after 2 s; the servers start side by side)' : ''}`,
  );
  // Quick: the three servers start at once (each waits idle for its turn); the full run starts
  // each in its turn, so that no start-up shares the machine with a measurement.
  const kinds: ServerKind[] = ['bare', 'postroom-sqlite', 'postroom-postgres'];
  const early = new Map<ServerKind, Promise<Server>>(quick ? kinds.map((k) => [k, startServer(k)]) : []);
  let bare: Figures, sqlite: Figures, postgres: Figures;
  try {
    if (quick) await Promise.all(early.values());
    const take = (kind: ServerKind) => {
      const started = early.get(kind);
      early.delete(kind);
      return started;
    };
    bare = await load('bare', 'bare Fastify route (same JSON Schema, 202)', seconds, warmUpSeconds, quick, take('bare'));
    sqlite = await load('postroom-sqlite', 'Postroom POST /api/v1/emails (SQLite)', seconds, warmUpSeconds, quick, take('postroom-sqlite'));
    postgres = await load('postroom-postgres', 'Postroom POST /api/v1/emails (PostgreSQL)', seconds, warmUpSeconds, quick, take('postroom-postgres'));
  } finally {
    // Started early and not measured (something failed first): stopped all the same.
    for (const started of early.values()) await started.then((s) => s.stop()).catch(() => undefined);
  }
  table([
    ['server', 'req/s', 'p50 ms', 'p99 ms', '2xx', 'other', 'server CPU µs/req'],
    ...[bare, sqlite, postgres].map((f) => [f.name, int(f.rps), f.p50, f.p99, int(f.ok), f.bad, int(f.cpuUsPerRequest)]),
  ]);
  table([
    ['Postroom SQLite / bare route', judged(sqlite.rps / bare.rps, 0.5, '>=', quick)],
    ['Postroom PostgreSQL / bare route', `${(postgres.rps / bare.rps).toFixed(2)}  (reported, no target)`],
    // The server's own cost, which autocannon's share of the two cores does not blur.
    ['bare route / Postroom SQLite, CPU per request', (bare.cpuUsPerRequest / sqlite.cpuUsPerRequest).toFixed(2)],
  ]);
}

if (isEntry(import.meta.url)) await handoverBenchmark(quickMode());
