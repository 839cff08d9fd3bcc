// A benchmark's HTTP server in a process of its own, and the line protocol between it and the
// parent: one JSON line {port, token} when it listens; "cpu" (and commands of its own) answered
// with one JSON line each; closing its stdin (or SIGTERM) closes it, cleans up and exits.
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import readline from 'node:readline';
import type { FastifyInstance } from 'fastify';

export interface ChildServer {
  port: number;
  token: string;
  /** Sends a command line and reads its one-line JSON answer; an {error} answer throws. */
  ask<T>(command: string): Promise<T>;
  /** The server process's CPU time (ms, every thread) since the previous call. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `file` (a bench/*-server.ts) for `kind`; BENCH_CPU_PROF=DIR profiles it. */
export async function startChildServer(file: URL, kind: string): Promise<ChildServer> {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', file.pathname, kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`the ${kind} server exited (${code})`)));
    });
  const ask = async <T>(command: string): Promise<T> => {
    const answer = nextLine();
    child.stdin?.write(`${command}\n`);
    const parsed = JSON.parse(await answer) as T & { error?: string };
    if (parsed.error) throw new Error(`the ${kind} server could not answer "${command}": ${parsed.error}`);
    return parsed;
  };
  const { port, token } = JSON.parse(await nextLine()) as { port: number; token: string };
  return {
    port,
    token,
    ask,
    cpuMs: async () => (await ask<{ cpuMs: number }>('cpu')).cpuMs,
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

/**
 * The child's side: listens, says {port, token}, answers "cpu" and `commands`, and on stdin's end
 * (the parent gone, even killed) or SIGTERM closes the server, runs `cleanup` and exits.
 */
export async function serveParent(app: FastifyInstance, token: string, cleanup: () => Promise<void>, commands: Record<string, () => Promise<unknown>> = {}): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port, token })}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await cleanup();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.stdin.on('end', () => void stop());
  let cpuMark = process.cpuUsage();
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const command = line.trim();
    const answer = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
    if (command === 'cpu') {
      const used = process.cpuUsage(cpuMark);
      cpuMark = process.cpuUsage();
      answer({ cpuMs: (used.user + used.system) / 1000 });
    } else if (commands[command]) {
      commands[command]().then(answer, (err: unknown) => answer({ error: String(err) }));
    }
  });
}
