// What another user of the machine, or a log collector, could learn or change: the data
// directory's and files' modes, and the first-start setup link, with the real `postroom` command.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

// The built command, as users run it (through tsx from src, each start cost 2.5 s).
const CLI = fileURLToPath(new URL('../../bin/postroom.js', import.meta.url));
// The test's environment minus anything Postroom or the test runner reads.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('POSTROOM_') && k !== 'NODE_TEST_CONTEXT'));

function postroom(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...baseEnv, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

describe('the data directory is private', () => {
  it('is created 0700 with the database, its WAL files and the master key 0600', (t) => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-perm-'));
    t.after(() => fs.rmSync(parent, { recursive: true, force: true }));
    const dataDir = path.join(parent, 'data');
    // A permissive umask, as on many servers: the modes must not depend on it.
    const r = spawnSync('sh', ['-c', `umask 000 && exec "${process.execPath}" "${CLI}" send --to a@example.org --subject S --text T --sender-email u@example.org`], {
      env: { ...baseEnv, POSTROOM_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(modeOf(dataDir), '700');
    const files = fs.readdirSync(dataDir);
    assert.ok(files.includes('postroom.sqlite') && files.includes('master.key'), files.join(', '));
    for (const f of files) assert.equal(modeOf(path.join(dataDir, f)), '600', `${f} is for its owner only`);
  });

  it('tightens database files an older version left readable by everyone', (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-perm-'));
    t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env = { POSTROOM_DATA_DIR: dataDir, POSTROOM_MASTER_KEY: crypto.randomBytes(32).toString('hex') };
    assert.equal(postroom(['status'], env).code, 0);
    fs.chmodSync(path.join(dataDir, 'postroom.sqlite'), 0o644);
    assert.equal(postroom(['status'], env).code, 0);
    assert.equal(modeOf(path.join(dataDir, 'postroom.sqlite')), '600');
  });

  it('refuses to start on a directory other users may write, saying why and what to do', (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-perm-'));
    t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    for (const mode of [0o777, 0o770, 0o1777]) {
      fs.chmodSync(dataDir, mode);
      for (const command of [['status'], ['serve']]) {
        const r = postroom(command, { POSTROOM_DATA_DIR: dataDir, POSTROOM_PORT: '0' });
        assert.equal(r.code, 1, `${command[0]} with mode ${mode.toString(8)}: ${r.err}`);
        assert.match(r.err, new RegExp(`refusing to start: the data directory ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is writable by other users \\(mode ${(mode & 0o777).toString(8)}\\); run chmod 700`));
      }
      assert.deepEqual(fs.readdirSync(dataDir), [], 'nothing was written there');
    }
  });
});

describe('the first-start setup link', () => {
  it('is printed on standard error in plain words, never in the JSON log', async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-setup-'));
    t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { ...baseEnv, POSTROOM_DATA_DIR: dataDir, POSTROOM_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      const deadline = Date.now() + 20_000;
      while (!/\/setup#token=\S+/.test(err) || !/Postroom serving/.test(out)) {
        if (Date.now() > deadline) throw new Error(`no setup link within 20 s; stdout: ${out}; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const token = /\/setup#token=(\S+)/.exec(err)?.[1] ?? '';
      assert.match(err, /Postroom has no administrator password yet\.\nOpen this link in your browser to choose one/);
      assert.ok(token.length >= 40, 'the link carries the token');
      assert.ok(!out.includes(token), 'the JSON log never holds the token');
      assert.match(out, /the one-time setup link was printed on standard error/, 'the log says where to look');
      for (const line of out.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), `stdout stays JSON lines: ${line}`);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

describe('stored text is shown, never obeyed', () => {
  it('queue list, queue show and webhook list print control characters as \\uXXXX: a subject, a name or a reply cannot drive the terminal', async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-escapes-'));
    t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const masterKey = crypto.randomBytes(32).toString('hex');
    // Text that older versions took at hand-over (or a receiver's reply): planted in the database as it may be found there.
    const { openPostroom } = await import('../../src/app.js');
    const p = await openPostroom({ dataDir, masterKey });
    try {
      await p.settings.update({ postmaster: 'noreply@example.com' }, 'test');
      const { id } = await p.queue.handOver({ to: [{ email: 'a@example.org', name: 'Bob' }], subject: 'Invoice', text: 'x' }, 'test');
      await p.store.db
        .updateTable('emails')
        .set({ subject: 'Invoice \u001b]0;pwned\u0007\u001b[2J', to_addrs: JSON.stringify([{ email: 'a@example.org', name: 'Bob\u009b31m' }]) })
        .where('id', '=', id)
        .execute();
      await p.store.db
        .insertInto('webhooks')
        .values({ url: 'https://hooks.example.org/x', events: '["email.sent"]', secret: 'sealed', owner_source: null, token_id: null, created_by: 'admin', created_at: Date.now(), failing_since: null, disabled_at: Date.now(), disabled_reason: 'receiver said \u001b[8mhidden\u001b[0m' })
        .execute();
      const env = { POSTROOM_DATA_DIR: dataDir, POSTROOM_MASTER_KEY: masterKey };
      for (const args of [['queue', 'list'], ['queue', 'show', String(id)], ['webhook', 'list']]) {
        const r = postroom(args, env);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
        assert.doesNotMatch(r.out, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, `${args.join(' ')} printed a raw control character: ${JSON.stringify(r.out)}`);
        assert.match(r.out, /\\u001b|\\u009b/, `${args.join(' ')} shows the escape visibly: ${r.out}`);
      }
    } finally {
      await p.close();
    }
  });
});
