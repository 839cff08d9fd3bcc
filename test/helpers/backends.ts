// Opens Postroom for a test on each storage backend: a fresh SQLite data directory, or a fresh
// schema on the local PostgreSQL (never skipped silently: set POSTROOM_TEST_POSTGRES=skip to opt out).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import { openPostroom, type Postroom, type PostroomOptions } from '../../src/app.js';

export type BackendName = 'sqlite' | 'postgres';

export const TEST_DATABASE_URL = process.env.POSTROOM_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const SKIP_POSTGRES = process.env.POSTROOM_TEST_POSTGRES === 'skip';
export const BACKENDS: BackendName[] = ['sqlite', 'postgres'];

/** A test's place to keep data: a temp dir, plus a PostgreSQL schema when on postgres. */
export interface TestDatabase {
  backend: BackendName;
  dataDir: string;
  databaseUrl: string | undefined;
  pgSchema: string | undefined;
  cleanup(): Promise<void>;
}

export async function createTestDatabase(backend: BackendName): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-test-'));
  if (backend === 'sqlite') {
    return { backend, dataDir, databaseUrl: undefined, pgSchema: undefined, cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const pgSchema = `t_${crypto.randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`create schema ${pgSchema}`);
  await client.end();
  return {
    backend,
    dataDir,
    databaseUrl: TEST_DATABASE_URL,
    pgSchema,
    async cleanup() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop schema if exists ${pgSchema} cascade`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const TEST_MASTER_KEY = crypto.randomBytes(32);

/** Log lines written during the test, to check that no secret ever reaches a log. */
export interface CapturedLog {
  lines: string[];
  logger: Logger;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { lines, logger };
}

export async function openTestPostroom(db: TestDatabase, options: Partial<PostroomOptions> = {}): Promise<Postroom> {
  return openPostroom({
    dataDir: db.dataDir,
    databaseUrl: db.databaseUrl,
    pgSchema: db.pgSchema,
    masterKey: TEST_MASTER_KEY,
    logger: pino({ level: 'silent' }),
    ...options,
  });
}

/** Settings that make a complete SMTP configuration against a local sink. */
export function sinkSettings(port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    enabled: true,
    smtpHost: 'localhost',
    smtpPort: port,
    startTls: true,
    postmaster: 'postmaster@example.com',
    forcePostmaster: true,
    campaignIntervalSeconds: 1,
    ...extra,
  };
}
