// What every benchmark shares: the message they all send, opening Postroom on SQLite or on a
// fresh PostgreSQL schema (and removing it again), bulk SQL fills, and printing figures.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import type { Postroom, PostroomOptions } from '../src/app.js';

// Postroom itself (and Kysely) load on first use, not with this module: a benchmark that only
// drives a server in another process (hand-over, batch, memory) starts a second sooner.
const loadApp = () => import('../src/app.js');
const loadSql = async () => (await import('kysely')).sql;

export const PG_URL = process.env.POSTROOM_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS = { host: process.env.BENCH_REDIS_HOST || '127.0.0.1', port: Number(process.env.BENCH_REDIS_PORT || 6379) };
/** Postroom's default smtpMaxConnections; every contender gets the same pool size and concurrency. */
export const CONNECTIONS = 3;
export const POSTMASTER = 'pm@example.com';
export const MASTER_KEY = crypto.randomBytes(32);

export type Backend = 'sqlite' | 'postgres';

/** The e-mail every contender sends: one recipient, a short invoice text (about 700 bytes). */
export const message = (i: number) => ({
  to: [`customer${i}@example.org`],
  subject: `Invoice ${i}`,
  text: `Dear customer,\n\nplease find invoice ${i} below.\n\n${'Lorem ipsum dolor sit amet. '.repeat(20)}`,
});

export const quickMode = (): boolean => process.argv.includes('--quick');

/** True when the module at `url` is the script node was started with (each benchmark runs alone too). */
export const isEntry = (url: string): boolean => process.argv[1] !== undefined && pathToFileURL(path.resolve(process.argv[1])).href === url;

const interruptCleanups = new Set<() => Promise<void>>();

/**
 * Registers a clean-up to run if the benchmark is interrupted (Ctrl-C, SIGTERM): a `finally`
 * does not run when node is stopped by a signal, and a temp schema or Redis keys would stay.
 * Returns the function that unregisters it (call it once cleaned up normally).
 */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  if (interruptCleanups.size === 0 && process.listenerCount('SIGINT') === 0) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        console.error(`\n${signal}: cleaning up`);
        void (async () => {
          for (const fn of [...interruptCleanups].reverse()) await fn().catch(() => undefined);
          process.exit(130);
        })();
      });
    }
  }
  interruptCleanups.add(cleanup);
  return () => void interruptCleanups.delete(cleanup);
}

export interface BenchPostroom {
  postroom: Postroom;
  backend: Backend;
  dataDir: string;
  pgSchema: string | undefined;
  /**
   * Closes this Postroom and opens another on the same data, as a restarted service would: a
   * stopped Dispatcher cannot be started again (its instance row already exists).
   */
  reopen(options?: Partial<PostroomOptions>): Promise<Postroom>;
  /** Stops the sending process, closes the store, drops the schema, removes the temp dir. */
  cleanup(): Promise<void>;
}

/** Postroom on a temp SQLite directory, or on a schema of its own in the local PostgreSQL. */
export async function openBenchPostroom(backend: Backend, options: Partial<PostroomOptions> = {}): Promise<BenchPostroom> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-bench-'));
  let pgSchema: string | undefined;
  const removeAll = async () => {
    if (pgSchema) await pgQuery(`drop schema if exists ${pgSchema} cascade`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const { openPostroom } = await loadApp();
  const open = (more: Partial<PostroomOptions>) =>
    openPostroom({
      dataDir,
      databaseUrl: pgSchema ? PG_URL : undefined,
      pgSchema,
      masterKey: MASTER_KEY,
      logger: pino({ level: 'silent' }),
      ...more,
    });
  let postroom: Postroom | undefined;
  try {
    for (let attempt = 1; !postroom; attempt++) {
      if (backend === 'postgres') {
        pgSchema = `bench_${crypto.randomBytes(6).toString('hex')}`;
        await pgQuery(`create schema ${pgSchema}`);
      }
      try {
        postroom = await open(options);
      } catch (err) {
        // Kysely's migrator without migrationTableSchema looks for its own tables in every
        // schema, so while other schemas come and go (the test suite, another benchmark) a fresh
        // schema's migration could find "its" tables elsewhere, or trip on a schema dropped
        // meanwhile. src/db/connect.ts now names the schema; the retry stays for older trees.
        if (backend !== 'postgres' || attempt >= 3 || !/database migration/.test(String(err))) throw err;
        await pgQuery(`drop schema if exists ${pgSchema} cascade`);
      }
    }
  } catch (err) {
    await removeAll();
    throw err;
  }
  const forget = onInterrupt(removeAll);
  const bench: BenchPostroom = {
    postroom,
    backend,
    dataDir,
    pgSchema,
    async reopen(more = {}) {
      await bench.postroom.close();
      bench.postroom = await open(more);
      return bench.postroom;
    },
    async cleanup() {
      forget();
      try {
        await bench.postroom.close();
      } finally {
        await removeAll();
      }
    },
  };
  return bench;
}

/** A complete plain-SMTP configuration against the loopback sink. */
export function sinkSettings(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    enabled: true,
    smtpHost: '127.0.0.1',
    smtpPort: port,
    startTls: false,
    postmaster: POSTMASTER,
    smtpMaxConnections: CONNECTIONS,
    ...extra,
  };
}

export async function pgQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A pino logger that hands each line to `onLine` (parsed), for benchmarks that time log events. */
export function listeningLogger(onLine: (line: { msg?: string; time?: number } & Record<string, unknown>) => void): Logger {
  return pino(
    { level: 'info' },
    {
      write(s: string) {
        try {
          onLine(JSON.parse(s) as { msg?: string; time?: number });
        } catch {
          // not JSON: ignore
        }
      },
    },
  );
}

const EMAIL_COLUMNS = `status, message_id, idempotency_key, sender_email, sender_name, to_addrs, cc_addrs, bcc_addrs, subject,
  text_body, html_body, headers, created_at, updated_at, due_at, lease_owner, claim_count, attempt_count, first_failure_at,
  finished_at, last_reply_code, last_reply, rejected_recipients, size_bytes, attachment_count, source`;

/** A sequence 1..count as SQL rows named i, for a single INSERT … SELECT on either backend. */
const sequence = (sql: Awaited<ReturnType<typeof loadSql>>, postroom: Postroom, count: number) =>
  postroom.store.dialect === 'postgres'
    ? sql`select g as i from generate_series(1, cast(${count} as int)) g`
    : sql`with recursive seq(i) as (select 1 union all select i + 1 from seq where i < ${count}) select i from seq`;

/**
 * Inserts `count` pending e-mails in one statement, due from `dueFrom` on (1 ms apart, so the
 * claim order is the insertion order). Much faster than hand-overs: the backlog benchmarks need
 * a million of them.
 */
export async function insertPending(postroom: Postroom, count: number, tag: string, dueFrom = Date.now()): Promise<void> {
  const sql = await loadSql();
  const body = message(0).text;
  const due = sql`cast(${dueFrom} as bigint)`;
  await sql`
    insert into emails (${sql.raw(EMAIL_COLUMNS)})
    select 'pending', '<' || cast(${tag} as text) || '-' || i || '@example.com>', null, null, null,
      '[{"email":"customer' || i || '@example.org"}]', '[]', '[]', 'Invoice ' || i,
      cast(${body} as text), null, '{}', ${due}, ${due}, ${due} + i, null, 0, 0, null,
      null, null, null, null, ${sql.lit(body.length + 12)}, 0, 'bench'
    from (${sequence(sql, postroom, count)}) s`.execute(postroom.store.db);
  await checkpoint(postroom);
}

/**
 * SQLite: folds the bulk insert's write-ahead log into the database file now. Otherwise the
 * first commit after it runs that checkpoint (seconds for a million rows) inside a measurement.
 */
async function checkpoint(postroom: Postroom): Promise<void> {
  const sql = await loadSql();
  if (postroom.store.dialect === 'sqlite') await sql`pragma wal_checkpoint(truncate)`.execute(postroom.store.db);
}

/** Inserts `count` e-mails sent at `finishedAt` (minus i ms), each with its one attempt: history to purge. */
export async function insertFinished(postroom: Postroom, count: number, tag: string, finishedAt: number): Promise<void> {
  const sql = await loadSql();
  const body = message(0).text;
  const db = postroom.store.db;
  const at = sql`cast(${finishedAt} as bigint)`;
  const before = await sql<{ max: number | null }>`select max(id) as max from emails`.execute(db);
  const firstId = Number(before.rows[0]?.max ?? 0);
  await sql`
    insert into emails (${sql.raw(EMAIL_COLUMNS)})
    select 'sent', '<' || cast(${tag} as text) || '-' || i || '@example.com>', null, null, null,
      '[{"email":"customer' || i || '@example.org"}]', '[]', '[]', 'Invoice ' || i,
      cast(${body} as text), null, '{}', ${at} - i - 1000, ${at} - i, null, null, 1, 1, null,
      ${at} - i, 250, '250 OK', null, ${sql.lit(body.length + 12)}, 0, 'bench'
    from (${sequence(sql, postroom, count)}) s`.execute(db);
  await sql`
    insert into attempts (email_id, started_at, finished_at, route, outcome, reply_code, reply, instance)
    select id, finished_at - 5, finished_at, 'smtp', 'sent', 250, '250 OK', 'bench'
    from emails where id > ${firstId} and status = 'sent'`.execute(db);
  await checkpoint(postroom);
}

/** Samples the resident set size until stopped. */
export function sampleRss(everyMs = 100): { stop(): { maxMb: number; lastMb: number; samples: number } } {
  const samples: number[] = [process.memoryUsage().rss];
  const timer = setInterval(() => samples.push(process.memoryUsage().rss), everyMs);
  return {
    stop() {
      clearInterval(timer);
      samples.push(process.memoryUsage().rss);
      return { maxMb: Math.max(...samples) / 2 ** 20, lastMb: (samples.at(-1) ?? 0) / 2 ** 20, samples: samples.length };
    },
  };
}

/**
 * Starts two things at once (the sink process and a store, say: a third of a second each saved)
 * and gives both; if either fails, the other is closed again before the error goes on.
 */
export async function startBoth<A, B>(a: Promise<A>, b: Promise<B>, closeA: (a: A) => Promise<unknown>, closeB: (b: B) => Promise<unknown>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'fulfilled' && rb.status === 'fulfilled') return [ra.value, rb.value];
  if (ra.status === 'fulfilled') await closeA(ra.value).catch(() => undefined);
  if (rb.status === 'fulfilled') await closeB(rb.value).catch(() => undefined);
  throw ra.status === 'rejected' ? ra.reason : (rb as PromiseRejectedResult).reason;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it is true; throws after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const perSecond = (n: number, ms: number) => (n / ms) * 1000;
export const int = (x: number) => Math.round(x).toLocaleString('en-US');
export const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number);
}

/** "ratio 0.91 (target ≥ 0.85: met)" */
export function verdict(ratio: number, target: number, direction: '>=' | '<' = '>='): string {
  const met = direction === '>=' ? ratio >= target : ratio < target;
  return `${ratio.toFixed(2)}  (target ${direction === '>=' ? '≥' : '<'} ${target}: ${met ? 'met' : 'MISSED'})`;
}

/**
 * verdict(), or in quick mode, where the run is too short or too small to judge the target: the
 * ratio with its target, "quick: indicative", rather than a "met" or "MISSED" that could mislead.
 */
export function judged(ratio: number, target: number, direction: '>=' | '<', quick: boolean): string {
  if (!quick) return verdict(ratio, target, direction);
  return `${ratio.toFixed(2)}  (quick: indicative; target ${direction === '>=' ? '≥' : '<'} ${target})`;
}

export function heading(title: string, detail: string): void {
  console.log(`\n== ${title} ==`);
  console.log(`   ${detail}`);
}

/** Prints rows as aligned columns. */
export function table(rows: (string | number)[][]): void {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  for (const r of rows) console.log('   ' + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0))).join('  '));
}

/** Deletes every Redis key under `prefix:` (a BullMQ queue's, meta and events included): nothing of a run stays behind. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS);
  try {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}
