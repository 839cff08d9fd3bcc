// Several Postroom processes starting at once on a fresh data directory (`serve` beside a CLI
// command, or a service manager starting instances together) must all come up on one schema.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const CONNECT = fileURLToPath(new URL('../../src/db/index.ts', import.meta.url));

function openInChild(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const script = `
    const { openStore } = await import(${JSON.stringify(CONNECT)});
    const store = await openStore({ dataDir: ${JSON.stringify(dataDir)} });
    await store.db.selectFrom('settings').selectAll().execute();
    await store.close();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('schema migrations', () => {
  it('four processes opening the same fresh SQLite file at once all succeed', async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-migrate-'));
    t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const results = await Promise.all([1, 2, 3, 4].map(() => openInChild(dataDir)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
  });
});
