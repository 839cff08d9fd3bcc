// `postroom send --batch FILE.jsonl`, the real binary as an administrator runs it: one e-mail a
// line handed over 500 at a time, each refused line named in the summary, a progress bar on a terminal.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { assertBuilt } from '../helpers/built.js';
import { BIN, ROOT, cleanEnv, postroomCommand } from '../helpers/cli.js';

assertBuilt();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-cli-batch-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const ENV: NodeJS.ProcessEnv = { POSTROOM_DATA_DIR: path.join(dir, 'data'), POSTROOM_MASTER_KEY: '22'.repeat(32) };
const postroom = postroomCommand(ENV);

const invoice = (i: number, extra: Record<string, unknown> = {}) => JSON.stringify({ to: [`customer${i}@example.org`], subject: `Invoice ${i}`, text: 'Attached.', idempotencyKey: `inv-${i}`, ...extra });

describe('postroom send --batch (the real binary)', () => {
  it('hands over every line, names each refused one, and exits 1 when any was refused', async () => {
    assert.equal((await postroom('settings', 'set', 'postmaster=noreply@corp.example')).code, 0);
    const file = path.join(dir, 'month-end.jsonl');
    const rows = Array.from({ length: 1_200 }, (_, i) => invoice(i));
    rows[9] = '{"to": ["a@example.org"], "subject": '; // cut short
    rows[700] = invoice(700, { to: [] });
    rows.splice(300, 0, ''); // a blank line is skipped, and the numbering follows the file
    fs.writeFileSync(file, rows.join('\n') + '\n');
    const r = await postroom('send', '--batch', file);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^1,200 e-mails in .*month-end\.jsonl: 1,198 queued, 0 already handed over \(same idempotency key\), 2 refused$/);
    assert.match(lines[1] ?? '', /^ {2}line 10: is not JSON/);
    assert.match(lines[2] ?? '', /^ {2}line 702: to: /);
    assert.equal(r.stderr, '', 'no progress bar when standard error is not a terminal');
    const counted = JSON.parse((await postroom('status', '--json')).stdout) as { counts: Record<string, number> };
    assert.equal(counted.counts.pending, 1_198);

    // Run again: the idempotency keys make nothing new; --json gives one result a line.
    const again = await postroom('send', '--batch', file, '--json');
    const results = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: number; duplicate?: boolean; error?: unknown });
    assert.equal(results.length, 1_199, 'every e-mail line but the unreadable one has a result');
    assert.equal(results.filter((x) => x.duplicate).length, 1_198);
    assert.equal(results.find((x) => x.error)?.line, 702);
  });

  it('draws a progress bar on a terminal', async () => {
    const file = path.join(dir, 'small.jsonl');
    fs.writeFileSync(file, Array.from({ length: 1_100 }, (_, i) => invoice(5_000 + i)).join('\n'));
    // `script` gives the command a terminal, as an administrator's shell does.
    const command = `${process.execPath} ${BIN} send --batch ${file}`;
    const out = execFileSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...cleanEnv(), ...ENV, TERM: 'xterm' }, encoding: 'utf8' });
    assert.match(out, /\r\[#{14}-{16}\] 500 \/ 1,100/);
    assert.match(out, /\r\[#{30}\] 1,100 \/ 1,100/);
    assert.match(out, /1,100 e-mails in .*: 1,100 queued/);
  });

  it('refuses options that describe one e-mail, and a file it cannot read', async () => {
    const r = await postroom('send', '--batch', path.join(dir, 'month-end.jsonl'), '--subject', 'x');
    assert.deepEqual([r.code, r.stderr], [2, 'postroom: send --batch: each line of the file is one e-mail; --subject is not taken with it\n']);
    const missing = await postroom('send', '--batch', path.join(dir, 'nope.jsonl'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the file \(ENOENT\)/);
  });
});
