// `postroom serve` as users run it, for the benchmarks: the built command in a child process of its
// own, on a fresh data dir (SQLite) or a fresh PostgreSQL schema, set up over HTTP as an administrator would.
//
// Not a benchmark: bench/throughput.ts, bench/handover-during-drain.ts and bench/crash.ts use it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MASTER_KEY, PG_URL, message, onInterrupt, pgQuery, sinkSettings, sleep, until, type Backend } from './common.js';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const PASSWORD = 'served bench password';

/** Newest modification time of the files under dir (recursively) that match `keep`. */
function newest(dir: string, keep: (name: string) => boolean): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, keep));
    else if (keep(e.name)) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

/**
 * `node bin/postroom.js serve` runs the compiled dist/. When src/ changed since the last build,
 * the same command is run from src through tsx instead, so the benchmark tests the code as it is.
 */
export function serveCommand(): { args: string[]; label: string } {
  const { args, label } = postroomCommand();
  return { args: [...args, 'serve'], label: label.replace(/(postroom(?:-cli\.ts|\.js))/, '$1 serve') };
}

/** The `postroom` command (without its subcommand): bin/postroom.js, or src through tsx when dist/ is older. */
export function postroomCommand(): { args: string[]; label: string } {
  const dist = path.join(ROOT, 'dist');
  const built = fs.existsSync(path.join(dist, 'cli', 'index.js')) ? fs.statSync(path.join(dist, 'cli', 'index.js')).mtimeMs : 0;
  if (built >= newest(path.join(ROOT, 'src'), (n) => n.endsWith('.ts'))) return { args: [path.join(ROOT, 'bin', 'postroom.js')], label: 'node bin/postroom.js' };
  return {
    args: ['--import', 'tsx', path.join(ROOT, 'bench', 'postroom-cli.ts')],
    label: 'node --import tsx bench/postroom-cli.ts (dist/ is older than src/: run npm run build to use bin/postroom.js)',
  };
}

/** CPU time (user + system, every thread) a process has used, in ms: Linux /proc, 10 ms ticks. */
export function processCpuMs(pid: number): number {
  // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 10;
}

export interface ServedPostroom {
  backend: Backend;
  url: string;
  pid: number;
  /** How it was started, for the printout. */
  command: string;
  /** A host application's API token (made by the administrator over HTTP). */
  token: string;
  /** An administrator's request (session cookie and CSRF header, as the console sends them); throws unless 2xx. */
  admin<T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T>;
  /** One hand-over, POST /api/v1/emails with the bearer token; throws unless 202. */
  handOver(i: number): Promise<void>;
  /** Switches sending on or off (PATCH /settings/email). Off: resolves once a campaign has paused the sending. */
  setSending(enabled: boolean): Promise<void>;
  counts(): Promise<Record<string, number>>;
  /** The server's CPU time so far (ms, every thread). */
  cpuMs(): number;
  /** SIGTERM (a --cpu-prof profile is written then), wait for the exit, remove the data (dir, schema). */
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** node --cpu-prof into this directory (every thread writes its own file at exit). */
  cpuProfileDir?: string;
  /** More settings than the sink's (sending stays off until setSending(true)). */
  settings?: Record<string, unknown>;
  /**
   * Quick mode: the settings given over HTTP once serve is up (a save wakes the sending process
   * since 3b502fc) instead of by `postroom settings set` before it: one process start less (1.5 s
   * when the CLI runs from src through tsx).
   */
  settingsOverHttp?: boolean;
}

/**
 * Starts `postroom serve` on a fresh store. Before it starts, `postroom settings set` (the CLI, on
 * the same store) gives the sink's SMTP settings with sending off and a 1 s campaign interval: a
 * setting is read at the next campaign (before 3b502fc a save over HTTP did not wake the sending
 * process), so set over HTTP after the start, the first interval (20 s) was slept out. Then serve:
 * POSTROOM_ADMIN_PASSWORD for the administrator, port 0 (the address is read from the "Postroom
 * serving" log line), the log level left at its default (info, JSON lines on stdout, read here as
 * a log collector would); over HTTP as the console does, sign-in and an API token. (With
 * settingsOverHttp, quick mode's, the settings go over HTTP after the sign-in instead.)
 */
export async function startServed(backend: Backend, sinkPort: number, options: ServeOptions = {}): Promise<ServedPostroom> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-bench-'));
  const schema = backend === 'postgres' ? `bench_${crypto.randomBytes(6).toString('hex')}` : undefined;
  const removeAll = async () => {
    if (schema) await pgQuery(`drop schema if exists ${schema} cascade`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let child: ChildProcess | null = null;
  const forget = onInterrupt(async () => {
    child?.kill('SIGKILL');
    await removeAll();
  });
  try {
    // POSTROOM_DATABASE_URL takes no schema of its own: libpq's `options` parameter sets the
    // search path, and Postroom creates its tables (and Kysely's) in current_schema().
    if (schema) await pgQuery(`create schema ${schema}`);
    const databaseUrl = schema ? `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}` : '';
    const command = serveCommand();
    const env = {
      ...process.env,
      POSTROOM_DATA_DIR: dataDir,
      POSTROOM_DATABASE_URL: databaseUrl,
      POSTROOM_MASTER_KEY: MASTER_KEY.toString('hex'),
      POSTROOM_HOST: '127.0.0.1',
      POSTROOM_PORT: '0',
      POSTROOM_ADMIN_PASSWORD: PASSWORD,
      POSTROOM_LOG_LEVEL: '',
    };
    const settings = sinkSettings(sinkPort, { enabled: false, campaignIntervalSeconds: 1, ...options.settings });
    if (!options.settingsOverHttp) {
      const set = spawnSync(process.execPath, [...postroomCommand().args, 'settings', 'set', ...Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`)], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
      });
      if (set.status !== 0) throw new Error(`postroom settings set failed (${set.status}): ${set.stderr}${set.stdout}`);
    }
    const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    const started = spawn(process.execPath, [...profile, ...command.args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    child = started;
    const exited = new Promise<void>((r) => started.once('exit', () => r()));
    let url = '';
    let head = '';
    readline.createInterface({ input: started.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!url) {
        head += `${line}\n`;
        url = /"url":"(http:\/\/[^"]+)"/.exec(line)?.[1] ?? '';
      }
    });
    await until('postroom serve to listen', () => url !== '' || started.exitCode !== null, 60_000, 50).catch(() => undefined);
    if (!url) throw new Error(`postroom serve did not start (${command.label}):\n${head}`);

    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    if (!login.ok) throw new Error(`sign-in answered ${login.status}: ${await login.text()}`);
    const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0] ?? '');
    const csrf = decodeURIComponent(cookies.find((c) => c.startsWith('csrf='))?.slice(5) ?? '');
    const admin = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
      const r = await fetch(`${url}/api/v1${p}`, {
        method,
        headers: { 'content-type': 'application/json', cookie: cookies.join('; '), 'x-csrf-token': csrf, origin: url },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${p} answered ${r.status}: ${text}`);
      return JSON.parse(text) as T;
    };
    if (options.settingsOverHttp) await admin('PATCH', '/settings/email', settings);
    const { token } = await admin<{ token: string }>('POST', '/tokens', { name: 'bench' });
    // Hand-overs through node:http with keep-alive: fetch (undici) cost this process 4–6 times
    // the CPU per request (365–587 µs against 63–144), and on two cores the load generator's
    // CPU is taken from the server's.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const { hostname, port } = new URL(url);
    const post = (body: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(
          { host: hostname, port, path: '/api/v1/emails', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const pid = started.pid as number;
    return {
      backend,
      url,
      pid,
      command: command.label,
      token,
      admin,
      async handOver(i) {
        const r = await post(JSON.stringify(message(i)));
        if (r.status !== 202) throw new Error(`hand-over answered ${r.status}: ${r.text}`);
      },
      async setSending(enabled) {
        await admin('PATCH', '/settings/email', { enabled });
        if (enabled) return;
        // Off: the sending process pauses at the campaign that reads the setting: at the next
        // interval (1 s), or at once where a save wakes it. GET /sending says "disabled" from the
        // settings alone (since 3b502fc), so it cannot tell that this campaign ran: a whole
        // interval is waited out instead.
        await until(
          'sending to be said disabled',
          async () => (await admin<{ state: string; reason: string | null }>('GET', '/sending')).reason === 'sending is disabled',
          10_000,
          100,
        );
        await sleep(1_200);
      },
      counts: () => admin<Record<string, number>>('GET', '/emails/counts'),
      cpuMs: () => processCpuMs(pid),
      async stop() {
        agent.destroy();
        try {
          if (started.exitCode === null && started.signalCode === null) started.kill('SIGTERM');
          const timer = setTimeout(() => started.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(timer);
        } finally {
          forget();
          await removeAll();
        }
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    forget();
    await removeAll();
    throw err;
  }
}

/** The profile the main thread of process `pid` wrote with --cpu-prof (CPU.date.time.PID.THREAD.seq.cpuprofile; thread 0). */
export async function mainThreadProfile(dir: string, pid: number): Promise<string> {
  const pattern = new RegExp(`^CPU\\.\\d+\\.\\d+\\.${pid}\\.0\\.\\d+\\.cpuprofile$`);
  for (let i = 0; i < 50; i++) {
    const file = fs.readdirSync(dir).find((f) => pattern.test(f));
    if (file) return path.join(dir, file);
    await sleep(100);
  }
  throw new Error(`no CPU profile of process ${pid} in ${dir}`);
}
