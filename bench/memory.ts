// Memory of `postroom serve` (as users run it) while host applications hand over e-mails with a
// 5 MB attachment, 16 and then 32 at a time (the per-token limit), and after the outbox drained.
// Peak resident memory against the attachment bytes in flight: target ≤ 3 × them + 150 MB; after
// the drain, within 50 MB of the idle figure.
//
// Run alone: node --import tsx bench/memory.ts [--quick]
// Quick: one wave a phase (16 hand-overs at 16, 32 at 32; full: 300 a phase), the idle figure taken
// right after the warm-up (full: 6 s after it, once the server gave the warm-up's memory back: it
// looks every 5 s), the figure after the drain 1 s after it (full: 40 s, looked at every 5 s). One
// wave, an idle figure before any trim and no time to settle cannot judge the targets: indicative.
//
// The server's own limit on hand-over bytes in progress (POSTROOM_HANDOVER_MAX_MB_IN_FLIGHT, 200 MB)
// refuses some of 32 bodies of 7 MB at once with 503: those e-mails were never stored, and the
// drain waits for the accepted ones only (it once waited 600 s for "189 of 193": 4 refused).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { heading, int, isEntry, judged, MASTER_KEY, quickMode, sleep, startBoth, table, until } from './common.js';
import { startCountingSink } from './sink.js';

const FILE_BYTES = 5 * 1024 * 1024;
const PASSWORD = 'memory bench password';
const MB = 1024 * 1024;
const METRICS_TOKEN = 'memory-bench-metrics-token-0123456789';

/** The server process's resident memory now and at its peak since the last reset (Linux /proc). */
function memory(pid: number): { rssMb: number; peakMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** Resets the peak (VmHWM) to the current resident size (clear_refs 5). */
const resetPeak = (pid: number) => fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');

async function startServe(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  // bin/postroom.js, so dist/ (npm run build after changing src/): under tsx the process would
  // carry tsx's own memory (tens of MB) in every figure.
  const bin = fileURLToPath(new URL('../bin/postroom.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: { ...process.env, POSTROOM_MASTER_KEY: MASTER_KEY.toString('hex'), POSTROOM_PORT: '0', POSTROOM_DATA_DIR: dataDir, POSTROOM_DATABASE_URL: '', POSTROOM_ADMIN_PASSWORD: PASSWORD, POSTROOM_LOG_LEVEL: 'info', POSTROOM_METRICS_TOKEN: METRICS_TOKEN, ...(process.env.BENCH_MALLOC ? JSON.parse(process.env.BENCH_MALLOC) as Record<string, string> : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  for (let i = 0; i < 300 && !/"url":"http/.test(log); i++) await sleep(100);
  const url = /"url":"(http:\/\/[^"]+)"/.exec(log)?.[1];
  if (!url) throw new Error(`postroom serve did not start:\n${log}`);
  return { child, url };
}

async function login(url: string): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
  const cookies = r.headers.getSetCookie().map((c) => c.split(';')[0] ?? '');
  return { cookie: cookies.join('; '), csrf: decodeURIComponent(cookies.find((c) => c.startsWith('csrf='))?.slice(5) ?? '') };
}

/** Where the resident memory is (BENCH_SMAPS=1): V8's heap and buffers as the process counts them, the mappings as Linux does. */
async function explain(url: string, pid: number): Promise<void> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  for (const name of ['postroom_process_nodejs_heap_size_total_bytes', 'postroom_process_nodejs_heap_size_used_bytes', 'postroom_process_nodejs_external_memory_bytes']) {
    const v = new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1];
    console.log(`${name}: ${int(Number(v) / MB)} MB`);
  }
  const regions = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/).map((r) => {
    const [start, end] = (/^([0-9a-f]+)-([0-9a-f]+)/.exec(r) ?? []).slice(1).map((h) => parseInt(h ?? '0', 16));
    return { head: r.split('\n')[0] ?? '', size: ((end ?? 0) - (start ?? 0)) / MB, rss: Number(/^Rss:\s+(\d+)/m.exec(r)?.[1] ?? 0) / 1024 };
  });
  const sum = (f: (r: (typeof regions)[number]) => boolean) => int(regions.filter(f).reduce((a, r) => a + r.rss, 0));
  console.log(`[heap] ${sum((r) => r.head.includes('[heap]'))} MB, anonymous 64 MB-sized (malloc arenas) ${sum((r) => !/\//.test(r.head) && !r.head.includes('[') && Math.abs(r.size - 64) < 1.5)} MB, other anonymous ${sum((r) => !/\//.test(r.head) && !r.head.includes('[') && Math.abs(r.size - 64) >= 1.5)} MB, files ${sum((r) => /\//.test(r.head))} MB`);
}

export async function handoverMemoryBenchmark(quick: boolean): Promise<void> {
  const phases = [16, 32];
  // Hand-overs a phase: quick, one wave (as many as at once); full, 300.
  const countAt = (concurrency: number) => (quick ? concurrency : 300);
  const counted = quick ? phases.map(countAt).join(' then ') : String(countAt(0));
  heading(
    'Hand-over memory',
    `postroom serve (SQLite), ${counted} hand-overs of a 5 MB attachment at 16 then 32 at a time, then the drain; resident memory of the server process${quick ? ' (QUICK MODE: the full run has 300 a phase, idle after a trim and 40 s after the drain; figures indicative)' : ''}`,
  );
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-bench-'));
  const [sink, { child, url }] = await startBoth(startCountingSink(), startServe(dataDir), (s) => s.close(), async (s) => s.child.kill('SIGTERM'));
  const pid = child.pid as number;
  try {
    const session = await login(url);
    const admin = (method: string, p: string, body?: unknown) =>
      fetch(`${url}/api/v1${p}`, { method, headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf, origin: url }, body: body === undefined ? undefined : JSON.stringify(body) });
    const ok = async (r: Promise<Response>, what: string) => {
      const res = await r;
      if (!res.ok) throw new Error(`${what} answered ${res.status}: ${await res.text()}`);
      return res;
    };
    await ok(admin('PATCH', '/settings/email', { postmaster: 'pm@example.com', smtpHost: '127.0.0.1', smtpPort: sink.port, startTls: false, enabled: false }), 'the e-mail settings');
    const token = ((await (await ok(admin('POST', '/tokens', { name: 'bench' }), 'a new token')).json()) as { token: string }).token;
    const body = JSON.stringify({
      to: ['customer@example.org'],
      subject: 'Statement with a 5 MB file',
      text: 'Please find the statement attached.',
      attachments: [{ filename: 'statement.pdf', contentType: 'application/pdf', contentBase64: crypto.randomBytes(FILE_BYTES).toString('base64') }],
    });
    const handOver = () => fetch(`${url}/api/v1/emails`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    // Warm-up: the code paths loaded, a first file stored.
    const warm = await handOver();
    if (warm.status !== 202) throw new Error(`the warm-up hand-over answered ${warm.status}: ${await warm.text()}`);
    // E-mails the server accepted (202), the warm-up's included: what the drain must deliver. A
    // hand-over refused with 503 (the bytes-in-progress limit) was not stored.
    let accepted = 1;
    // Idle: after the warm-up's memory was given back (the server looks every 5 s). Quick: at once
    // (tens of MB higher: the figure after the drain, judged against it, is indicative there anyway).
    if (!quick) await sleep(6_000);
    const idle = memory(pid).rssMb;
    const rows: (string | number)[][] = [['phase', 'at once', 'in flight (MB)', 'peak RSS (MB)', 'target (MB)', 'peak / target', 'refused 503', 'hand-overs/s']];
    for (const concurrency of phases) {
      const count = countAt(concurrency);
      resetPeak(pid);
      let next = 0;
      let refused = 0;
      const t0 = performance.now();
      const worker = async () => {
        while (next < count) {
          next++;
          const r = await handOver();
          if (r.status === 503) refused++;
          else if (r.status !== 202) throw new Error(`hand-over answered ${r.status}: ${await r.text()}`);
          else accepted++;
          await r.arrayBuffer().catch(() => undefined);
        }
      };
      let sampling = Boolean(process.env.BENCH_SMAPS);
      const maxima = { heapTotal: 0, external: 0, rss: 0 };
      const sampler = (async () => {
        while (sampling) {
          const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
          const v = (n: string) => Number(new RegExp(`^postroom_process_${n} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / MB;
          maxima.heapTotal = Math.max(maxima.heapTotal, v('nodejs_heap_size_total_bytes'));
          maxima.external = Math.max(maxima.external, v('nodejs_external_memory_bytes'));
          maxima.rss = Math.max(maxima.rss, memory(pid).rssMb);
          await sleep(100);
        }
      })();
      await Promise.all(Array.from({ length: concurrency }, worker));
      sampling = false;
      await sampler;
      if (process.env.BENCH_SMAPS) console.log(`at ${concurrency}: largest V8 heap ${int(maxima.heapTotal)} MB, external ${int(maxima.external)} MB, resident ${int(maxima.rss)} MB`);
      const seconds = (performance.now() - t0) / 1000;
      const inFlightMb = (concurrency * FILE_BYTES) / MB;
      const target = 3 * inFlightMb + 150;
      const peak = memory(pid).peakMb;
      rows.push([`hand-over`, concurrency, int(inFlightMb), int(peak), int(target), judged(peak / target, 1, '<', quick), refused, (count / seconds).toFixed(1)]);
    }
    // The drain: sending on, every stored e-mail to the sink; then a moment for memory to settle.
    await ok(admin('PATCH', '/settings/email', { enabled: true, campaignIntervalSeconds: 1 }), 'sending on');
    // Half a second an e-mail at most (they take about a tenth), and half a minute more.
    await sink.waitFor(accepted, 30_000 + 500 * accepted).catch(async (err: unknown) => {
      const counts = await (await admin('GET', '/emails/counts')).text().catch((e: unknown) => String(e));
      throw new Error(`${(err as Error).message} (the e-mails the server accepted); the server counts ${counts}`);
    });
    let counts: Record<string, number> = {};
    await until(
      `the server to record the ${accepted} e-mails it accepted as sent`,
      async () => {
        counts = (await (await ok(admin('GET', '/emails/counts'), 'the counts')).json()) as Record<string, number>;
        return counts.sent === accepted;
      },
      10_000,
      50,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: it counts ${JSON.stringify(counts)}`);
    });
    const samples: number[] = [];
    // Full: eight looks 5 s apart (40 s). Quick: one, a second after.
    const settleSamples = Number(process.env.BENCH_SETTLE_SAMPLES ?? (quick ? 1 : 8));
    const settleEveryMs = quick ? 1_000 : 5_000;
    for (let i = 0; i < settleSamples; i++) {
      await sleep(settleEveryMs);
      samples.push(Math.round(memory(pid).rssMb));
      if (process.env.BENCH_SMAPS) {
        const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
        const v = (n: string) => int(Number(new RegExp(`^postroom_process_${n} (\\S+)`, 'm').exec(text)?.[1] ?? 0) / MB);
        console.log(`rss ${samples.at(-1)} heap used ${v('nodejs_heap_size_used_bytes')} total ${v('nodejs_heap_size_total_bytes')} external ${v('nodejs_external_memory_bytes')}`);
      }
    }
    console.log(`after drain every ${settleEveryMs / 1000} s:`, samples.join(' '));
    if (process.env.BENCH_SMAPS) await explain(url, pid);
    if (process.env.BENCH_GDB_TRIM) {
      const { execFileSync } = await import('node:child_process');
      execFileSync('gdb', ['-p', String(pid), '-batch', '-ex', 'call (int)malloc_trim(0)'], { stdio: 'ignore' });
      console.log('after malloc_trim(0):', int(memory(pid).rssMb));
      await explain(url, pid);
    }
    const after = memory(pid).rssMb;
    rows.push([quick ? 'idle before (quick: before any trim)' : 'idle before', '', '', int(idle), '', '', '', '']);
    rows.push(['after the drain', '', '', int(after), `${int(idle + 50)} (idle + 50)`, judged((after - idle) / 50, 1, '<', quick), '', '']);
    table(rows);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await sink.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (isEntry(import.meta.url)) await handoverMemoryBenchmark(quickMode());
