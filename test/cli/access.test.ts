// The access commands of the real `postroom` binary: tokens and the administrator password,
// and `postroom status` telling why mail is not moving.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { openPostroom } from '../../src/app.js';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-cli-access-'));
const key = crypto.randomBytes(32).toString('hex');
const env = { ...process.env, POSTROOM_DATA_DIR: dataDir, POSTROOM_MASTER_KEY: key, POSTROOM_DATABASE_URL: '' };

function postroom(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['bin/postroom.js', ...args], { env, input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('postroom token / admin / status', () => {
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('makes a token that is shown once and works, lists it without its value, revokes it', async () => {
    const made = postroom(['token', 'create', 'ERP production']);
    assert.equal(made.code, 0, made.err);
    const token = made.out.trim();
    assert.match(token, /^prt_[\w-]{40,}$/);
    assert.match(made.err, /only time it is shown/);
    const list = postroom(['token', 'list']);
    assert.match(list.out, /ERP production/);
    assert.ok(!list.out.includes(token), 'the list never shows the token');
    const p = await openPostroom({ dataDir, masterKey: key, logger: pino({ level: 'silent' }) });
    try {
      assert.equal((await p.tokens.verify(token))?.name, 'ERP production');
      const id = /^\s*(\d+)/m.exec(list.out)?.[1] as string;
      assert.equal(postroom(['token', 'revoke', id]).code, 0);
      assert.equal(await p.tokens.verify(token), null, 'revoked');
      const again = postroom(['token', 'revoke', id]);
      assert.notEqual(again.code, 0);
      assert.match(again.err, /no active token/);
    } finally {
      await p.close();
    }
  });

  it('sets the administrator password from standard input, refusing a short one', async () => {
    const short = postroom(['admin', 'password'], 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.err, /at least 12 characters/);
    const ok = postroom(['admin', 'password'], 'a long enough password\n');
    assert.equal(ok.code, 0, ok.err);
    assert.ok(!ok.out.includes('a long enough password'), `the password is not echoed: ${ok.out}`);
    const p = await openPostroom({ dataDir, masterKey: key, logger: pino({ level: 'silent' }) });
    try {
      assert.equal(await p.admins.verify('admin', 'a long enough password'), true);
      assert.equal(await p.admins.verify('admin', 'short'), false);
    } finally {
      await p.close();
    }
  });

  it('status shows the counts, the problems and that no sending process runs', () => {
    postroom(['send', '--to', 'a@example.org', '--subject', 'S', '--text', 'T', '--sender-email', 'u@example.org']);
    const s = postroom(['status']);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /e-mails: pending 1/);
    assert.match(s.out, /problem: smtpHost: SMTP host is required/);
    assert.match(s.out, /sending process: none running/);
  });
});
