// The disk under the SQLite database fills up (a real tmpfs of a few MB, mounted by the test):
// hand-overs are refused with 507 and Retry-After rather than a 500, /healthz and the console say
// the database is full in its own words, and once space is freed everything resumes by itself.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { TEST_MASTER_KEY } from '../helpers/backends.js';
import { Client } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/waiting.js';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

const PASSWORD = 'disk full test password';

/** A tmpfs of `mb` MB: a disk that really fills. Needs root (the tests run as root, as CI does). */
function smallDisk(mb: number): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`this test mounts a small tmpfs to fill a disk for real, which needs root: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    dir,
    remove() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the disk under the SQLite database fills up', () => {
  it('refuses hand-overs with 507 and Retry-After, says why in /healthz and the console, and resumes by itself once space is freed', async () => {
    const disk = smallDisk(8);
    const sink = await startSmtpSink();
    let child: ChildProcess | undefined;
    try {
      // Most of the disk taken by something else (logs, a backup): what the administrator frees.
      const filler = path.join(disk.dir, 'old-backup.tar');
      fs.writeFileSync(filler, Buffer.alloc(5 * 1024 * 1024, 1));
      child = spawn(process.execPath, ['bin/postroom.js', 'serve'], {
        env: {
          ...process.env,
          POSTROOM_MASTER_KEY: TEST_MASTER_KEY.toString('hex'),
          POSTROOM_PORT: '0',
          POSTROOM_DATA_DIR: path.join(disk.dir, 'data'),
          POSTROOM_DATABASE_URL: '',
          POSTROOM_ADMIN_PASSWORD: PASSWORD,
          POSTROOM_LOG_LEVEL: 'info',
          NODE_EXTRA_CA_CERTS: testPki().caFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
      await until(() => /"url":"http:\/\/127\.0\.0\.1:\d+"/.test(log), 30_000, 'postroom serve to listen');
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(log)?.[1] ?? '';
      const admin = new Client(url);
      assert.equal((await admin.login(PASSWORD)).status, 200);
      const token = (await admin.post<{ token: string }>('/api/v1/tokens', { name: 'erp' })).body.token;
      const host = Client.withToken(url, token);
      assert.equal((await admin.patch('/api/v1/settings/email', { postmaster: 'postmaster@example.com' })).status, 200);

      const text = 'Statement line. '.repeat(12_000);
      let refused: Awaited<ReturnType<typeof host.request>> | undefined;
      let stored = 0;
      for (let i = 0; i < 200 && !refused; i++) {
        const r = await host.request('POST', '/api/v1/emails', { to: ['alice@example.org'], subject: `Statement ${i}`, text });
        if (r.status === 202) stored++;
        else refused = r;
      }
      assert.ok(refused, `the disk filled up after ${stored} hand-overs`);
      assert.equal(refused.status, 507, refused.text);
      assert.equal((refused.body as { error: string }).error, 'storage_full');
      assert.equal(refused.headers.get('retry-after'), '30');
      assert.match((refused.body as { message: string }).message, /full: nothing was stored/);

      // Not ready, in the database's own words for those allowed to read them.
      assert.equal((await fetch(`${url}/healthz`)).status, 503);
      const health = await admin.get<{ database: string; databaseError: string }>('/healthz');
      assert.equal(health.status, 503);
      assert.equal(health.body.database, 'full');
      assert.match(health.body.databaseError, /database or disk is full/);
      const sending = await admin.get<{ storage: { failing: boolean; kind: string } }>('/api/v1/sending');
      assert.deepEqual([sending.body.storage.failing, sending.body.storage.kind], [true, 'full'], 'the console banner says the database is full');
      assert.match(log, /database or disk is full/, 'the real error is logged');
      assert.doesNotMatch(log, /cannot rollback/, 'not the ROLLBACK that followed it');

      // Space freed: hand-overs are taken again, /healthz is ready again, and the stored e-mails go out.
      fs.rmSync(filler);
      await until(async () => (await host.request('POST', '/api/v1/emails', { to: ['bob@example.org'], subject: 'After', text: 'x' })).status === 202, 10_000, 'a hand-over to be taken again');
      await until(async () => (await fetch(`${url}/healthz`)).status === 200, 15_000, '/healthz to be ready again');
      assert.equal((await admin.patch('/api/v1/settings/email', { enabled: true, smtpHost: 'localhost', smtpPort: sink.port, startTls: true, campaignIntervalSeconds: 1 })).status, 200);
      await until(() => sink.messages.length >= stored + 1, 30_000, `the ${stored + 1} stored e-mails to be sent`);
    } finally {
      if (child && child.exitCode === null) {
        const gone = new Promise((r) => child?.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      await sink.close();
      disk.remove();
    }
  });
});
