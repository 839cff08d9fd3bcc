// Hand-over: autocannon against POST /api/v1/emails of a real Postroom HTTP server (SQLite, then
// PostgreSQL) and against a bare Fastify route that validates the same body schema and answers
// 202, same payload and connections.
//
// Run alone: node --import tsx bench/handover.ts [--quick]
// BENCH_CPU_PROF=DIR profiles each server process (node --cpu-prof into DIR).
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import autocannon, { type Result } from 'autocannon';
import { heading, int, isEntry, message, quickMode, table, verdict } from './common.js';
import type { ServerKind } from './handover-server.js';

const CONNECTIONS = 10;
const WARMUP_SECONDS = 2;

interface Server {
  port: number;
  token: string;
  /** The server process's CPU time (ms, every thread) since the previous call. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

async function startServer(kind: ServerKind): Promise<Server> {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', new URL('./handover-server.ts', import.meta.url).pathname, kind], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the ${kind} server exited (${code})`)));
    });
  const { port, token } = JSON.parse(await nextLine()) as { port: number; token: string };
  return {
    port,
    token,
    async cpuMs() {
      const answer = nextLine();
      child.stdin?.write('cpu\n');
      return (JSON.parse(await answer) as { cpuMs: number }).cpuMs;
    },
    async stop() {
      // Closing its stdin tells the server to close, clean up its data and exit.
      lines.close();
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

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

async function load(kind: ServerKind, name: string, seconds: number): Promise<Figures> {
  const server = await startServer(kind);
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
      });
    // JIT and the first SQLite pages: not what a running service pays.
    await run(WARMUP_SECONDS);
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
  const seconds = quick ? 3 : 20;
  heading(
    'Hand-over',
    `autocannon, ${CONNECTIONS} connections, ${seconds} s (after a ${WARMUP_SECONDS} s warm-up) each; the server in a child process; Postroom with sending disabled (hand-over path only)`,
  );
  const bare = await load('bare', 'bare Fastify route (same JSON Schema, 202)', seconds);
  const sqlite = await load('postroom-sqlite', 'Postroom POST /api/v1/emails (SQLite)', seconds);
  const postgres = await load('postroom-postgres', 'Postroom POST /api/v1/emails (PostgreSQL)', seconds);
  table([
    ['server', 'req/s', 'p50 ms', 'p99 ms', '2xx', 'other', 'server CPU µs/req'],
    ...[bare, sqlite, postgres].map((f) => [f.name, int(f.rps), f.p50, f.p99, int(f.ok), f.bad, int(f.cpuUsPerRequest)]),
  ]);
  table([
    ['Postroom SQLite / bare route', verdict(sqlite.rps / bare.rps, 0.5)],
    ['Postroom PostgreSQL / bare route', `${(postgres.rps / bare.rps).toFixed(2)}  (reported, no target)`],
    // The server's own cost, which autocannon's share of the two cores does not blur.
    ['bare route / Postroom SQLite, CPU per request', (bare.cpuUsPerRequest / sqlite.cpuUsPerRequest).toFixed(2)],
  ]);
}

if (isEntry(import.meta.url)) await handoverBenchmark(quickMode());
