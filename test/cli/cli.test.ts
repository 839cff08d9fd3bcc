// The real `postroom` command, spawned as a child process exactly as an administrator runs it:
// settings, secrets from standard input, presets, audit, send, the queue commands, usage errors,
// and `postroom serve` delivering to a real SMTP server over STARTTLS while other `postroom`
// processes work on the same SQLite file. Runs the compiled code (npm run build first).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, describe, it, type TestContext } from 'node:test';
import pino from 'pino';
import { openPostroom } from '../../src/app.js';
import { TRANSITIONS } from '../../src/queue/index.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { testPki } from '../helpers/pki.js';
import { makeClientCertificate } from '../helpers/microsoft-standin.js';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'postroom.js');
const MASTER_KEY = '4f1c2a9e8b7d6c5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877';
/** The audit's actor for this user, as a RegExp source: cli:<user>. */
const ACTOR = `cli:${os.userInfo().username}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A stack frame as Node prints it: "    at fn (file:1:2)" or "    at file:1:2". */
const STACK_FRAME = /^\s+at\s+\S.*(:\d+:\d+\)?|\(native\)|<anonymous>)$/m;

/** Every child started by this file, so nothing outlives a failing test. */
const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

after(async () => {
  await Promise.all([...live].map((c) => killAndWait(c)));
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  waitForOutput(re: RegExp, timeoutMs: number): Promise<void>;
  exited: Promise<Result>;
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** The environment a child sees: the test's own, minus anything Postroom or the test runner reads. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('POSTROOM_') || k === 'NODE_TEST_CONTEXT' || k === 'NODE_EXTRA_CA_CERTS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string, cwd = ROOT): Running {
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(input ?? '');
  const exited = new Promise<Result>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited,
    async waitForOutput(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(stdout + stderr)) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before printing ${re}:\n${stdout}\n${stderr}`);
        }
        if (Date.now() > deadline) throw new Error(`no ${re} within ${timeoutMs} ms:\n${stdout}\n${stderr}`);
        await sleep(25);
      }
    },
  };
}

/** One data directory, one fixed master key, and the `postroom` processes run against them. */
class Sandbox {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-cli-'));
  readonly env: NodeJS.ProcessEnv;
  private readonly children = new Set<ChildProcess>();

  constructor(t: TestContext) {
    tempDirs.add(this.dir);
    this.env = cleanEnv({ POSTROOM_DATA_DIR: this.dir, POSTROOM_MASTER_KEY: MASTER_KEY, POSTROOM_DATABASE_URL: '' });
    t.after(() => this.cleanup());
  }

  start(args: string[], extraEnv: NodeJS.ProcessEnv = {}, input?: string): Running {
    const running = startProcess(process.execPath, [BIN, ...args], { ...this.env, ...extraEnv }, input);
    this.children.add(running.child);
    return running;
  }

  /** Runs `postroom ARGS` to its end (killed after timeoutMs). Never a stack trace on stderr. */
  async run(args: string[], input?: string, timeoutMs = 20_000): Promise<Result> {
    const running = this.start(args, {}, input);
    const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs);
    try {
      const r = await running.exited;
      assert.equal(r.signal, null, `postroom ${args.join(' ')} was killed (${r.signal}):\n${r.stdout}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, STACK_FRAME, `stack trace from postroom ${args.join(' ')}:\n${r.stderr}`);
      return r;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs it and expects success; returns stdout. */
  async ok(args: string[], input?: string): Promise<string> {
    const r = await this.run(args, input);
    assert.equal(r.code, 0, `postroom ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Runs it and expects a refusal: the exit code, and exactly one line on stderr naming why. */
  async refused(args: string[], code: number | 'non-zero', input?: string): Promise<string> {
    const r = await this.run(args, input);
    if (code === 'non-zero') assert.notEqual(r.code, 0, `postroom ${args.join(' ')} should fail:\n${r.stdout}`);
    else assert.equal(r.code, code, `postroom ${args.join(' ')} exit code (stderr: ${r.stderr.trim()})`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line on stderr from postroom ${args.join(' ')}, got:\n${r.stderr}`);
    assert.match(lines[0] ?? '', /^postroom: \S/);
    return lines[0] ?? '';
  }

  async settingsJson(): Promise<{ settings: Record<string, unknown>; problems: { key: string; message: string }[] }> {
    return JSON.parse(await this.ok(['settings', 'get', '--json'])) as {
      settings: Record<string, unknown>;
      problems: { key: string; message: string }[];
    };
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.children].map((c) => killAndWait(c)));
    fs.rmSync(this.dir, { recursive: true, force: true });
    tempDirs.delete(this.dir);
  }
}

const ALL_KEYS = [
  'enabled', 'smtpHost', 'smtpPort', 'smtpUser', 'smtpPassword', 'useOAuth', 'useGraph', 'tenantId', 'clientId', 'clientSecret',
  'startTls', 'postmaster', 'outlookNewAddress', 'forcePostmaster', 'maxRetrySeconds', 'campaignIntervalSeconds', 'retentionDays',
  'skipPendingAtStartup', 'maxMessagesPerMinute', 'smtpMaxConnections', 'allowPlaintextAuth', 'wakeOnHandOver', 'clientSecretExpiresAt',
  'microsoftCloud', 'clientCertificate', 'clientCertificateExpiresAt', 'outlookNewDraftsIn', 'smtpCaCertificate', 'microsoftCaCertificate',
  'bounceProcessing', 'imapHost', 'imapPort', 'imapUser', 'imapPassword', 'bounceCheckIntervalSeconds',
  'useGoogleServiceAccount', 'googleServiceAccountKey', 'googleServiceAccount',
];

const QUEUED = /^queued e-mail (\d+) \(pending\) (<[^>\s]+>)$/m;

function queuedId(stdout: string): string {
  const m = QUEUED.exec(stdout);
  assert.ok(m, `send prints the queued id, got: ${stdout}`);
  return m[1] as string;
}

/** The ids `queue list` shows, first column. */
function listedIds(stdout: string): string[] {
  if (stdout.trim() === 'no e-mails') return [];
  return stdout
    .trim()
    .split('\n')
    .map((l) => /^\s*(\d+)\s/.exec(l)?.[1] ?? `(unparsed line: ${l})`);
}

describe('postroom CLI (the real binary)', { concurrency: 3 }, () => {
  // First: the longest test, so the short ones run beside it.
  it('serve delivers over STARTTLS what another process hands over, applies settings without restart, stops on SIGTERM', async (t) => {
    const sink = await startSmtpSink();
    t.after(() => sink.close());
    const sb = new Sandbox(t);
    await sb.ok([
      'settings', 'set', 'enabled=true', 'smtpHost=localhost', `smtpPort=${sink.port}`, 'postmaster=pm@example.com', 'campaignIntervalSeconds=1',
    ]);
    const serve = sb.start(['serve'], { NODE_EXTRA_CA_CERTS: testPki().caFile, POSTROOM_PORT: '0', POSTROOM_LOG_LEVEL: 'info' });
    await serve.waitForOutput(/Postroom serving/, 15_000);

    const first = await sb.ok(['send', '--to', 'a@example.org', '--subject', 'Delivered while serving', '--text', 'Hello']);
    const id = queuedId(first);
    const messageId = QUEUED.exec(first)?.[2];
    const [msg] = await sink.waitFor(1, 15_000);
    assert.ok(msg, 'the SMTP sink received the e-mail');
    assert.equal(msg.parsed.subject, 'Delivered while serving');
    assert.equal(msg.parsed.messageId, messageId, 'the Message-ID printed by send is the one delivered');
    assert.equal(msg.parsed.from?.value[0]?.address, 'pm@example.com', 'From is the postmaster');
    assert.deepEqual(msg.to, ['a@example.org']);
    assert.equal(msg.secure, true, 'the message went over TLS (STARTTLS)');
    assert.equal(sink.plaintextData, 0);

    // Sent status is recorded by serve; another process sees it.
    const deadline = Date.now() + 5_000;
    while (!listedIds(await sb.ok(['queue', 'list', '--status', 'sent'])).includes(id)) {
      assert.ok(Date.now() < deadline, 'the e-mail is marked sent');
      await sleep(200);
    }

    await sb.ok(['settings', 'set', 'enabled=false']);
    const second = queuedId(await sb.ok(['send', '--to', 'b@example.org', '--subject', 'Must wait', '--text', 'Hello']));
    await sleep(2_500);
    assert.equal(sink.messages.length, 1, 'nothing is sent once sending is disabled, without a restart');
    assert.deepEqual(listedIds(await sb.ok(['queue', 'list', '--status', 'pending'])), [second], 'the e-mail waits');

    serve.child.kill('SIGTERM');
    const exit = await Promise.race([serve.exited, sleep(5_000).then(() => 'timeout' as const)]);
    assert.notEqual(exit, 'timeout', 'serve stops within 5 s of SIGTERM');
    if (exit === 'timeout') return;
    assert.equal(exit.signal, null);
    assert.equal(exit.code, 0, `serve exit code; stderr: ${exit.stderr}`);
    assert.doesNotMatch(exit.stderr, STACK_FRAME);
    assert.doesNotMatch(exit.stdout, STACK_FRAME);
  });

  it('settings get on a fresh data dir lists every key with its default and why the configuration is incomplete', async (t) => {
    const sb = new Sandbox(t);
    const [text, json] = await Promise.all([sb.ok(['settings', 'get']), sb.ok(['settings', 'get', '--json'])]);
    for (const key of ALL_KEYS) assert.match(text, new RegExp(`^${key}\\s+\\S`, 'm'), `settings get shows ${key}`);
    assert.match(text, /^enabled\s+false$/m);
    assert.match(text, /^smtpPort\s+587$/m);
    assert.match(text, /^startTls\s+true$/m);
    assert.match(text, /^forcePostmaster\s+true$/m);
    assert.match(text, /^campaignIntervalSeconds\s+20$/m);
    assert.match(text, /^smtpHost\s+\(empty\)$/m);
    assert.match(text, /^smtpPassword\s+\(not set\)$/m);
    assert.match(text, /Configuration incomplete/);
    assert.match(text, /- smtpHost: SMTP host is required/);
    assert.match(text, /- postmaster: Mail postmaster is required/);

    const view = JSON.parse(json) as { settings: Record<string, unknown>; problems: { key: string; message: string }[] };
    assert.deepEqual(Object.keys(view.settings).sort(), [...ALL_KEYS].sort());
    assert.equal(view.settings.enabled, false);
    assert.equal(view.settings.smtpPort, 587);
    assert.equal(view.settings.retentionDays, 30);
    assert.deepEqual(view.settings.smtpPassword, { set: false, updatedAt: null });
    assert.deepEqual(view.problems.map((p) => p.key).sort(), ['postmaster', 'smtpHost']);
    for (const p of view.problems) assert.ok(p.message.length > 0, `problem ${p.key} has a message`);
  });

  it('settings set saves valid values, refuses a bad one with one line naming the key, and a mixed set stores nothing', async (t) => {
    const sb = new Sandbox(t);
    const saved = await sb.ok(['settings', 'set', 'smtpHost=smtp.example.com', 'smtpPort=2525']);
    assert.match(saved, /^saved smtpHost, smtpPort$/m);

    const bad = await sb.refused(['settings', 'set', 'smtpPort=99999'], 'non-zero');
    assert.match(bad, /smtpPort/);
    assert.match(bad, /at most 65535/);

    const mixed = await sb.refused(['settings', 'set', 'smtpHost=other.example.com', 'postmaster=not-an-address'], 'non-zero');
    assert.match(mixed, /postmaster/);
    assert.match(mixed, /not a valid e-mail address/);
    assert.doesNotMatch(mixed, /smtpHost/, 'only the refused key is named');

    const [view, audit] = await Promise.all([sb.settingsJson(), sb.ok(['settings', 'audit'])]);
    assert.equal(view.settings.smtpHost, 'smtp.example.com');
    assert.equal(view.settings.smtpPort, 2525, 'the refused port left the stored one alone');
    assert.equal(view.settings.postmaster, '', 'the good half of a refused set was not stored either');
    assert.ok(!view.problems.some((p) => p.key === 'smtpHost'), 'the host problem is gone');

    // The audit: when, who (cli:<user>), which key, old -> new; the refused sets left no trace.
    const lines = audit.trim().split('\n');
    assert.equal(lines.length, 2, `two changes audited:\n${audit}`);
    for (const line of lines) assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+${ACTOR}\\s+smtp(Host|Port)\\s`));
    assert.ok(lines.some((l) => /\ssmtpHost\s+"" -> "smtp\.example\.com"$/.test(l)), audit);
    assert.ok(lines.some((l) => /\ssmtpPort\s+587 -> 2525$/.test(l)), audit);
  });

  it('settings set clientCertificate=- reads the whole PEM (certificate and key) from standard input', async (t) => {
    const sb = new Sandbox(t);
    const { pem } = makeClientCertificate(90);
    const set = await sb.run(['settings', 'set', 'clientCertificate=-'], pem);
    assert.equal(set.code, 0, set.stderr);
    const json = await sb.run(['settings', 'get', '--json']);
    const view = JSON.parse(json.stdout) as { settings: { clientCertificate: { set: boolean }; clientCertificateExpiresAt: string } };
    assert.equal(view.settings.clientCertificate.set, true);
    assert.equal(view.settings.clientCertificateExpiresAt, new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
    for (const r of [set, json]) assert.ok(!r.stdout.includes('PRIVATE KEY') && !r.stderr.includes('PRIVATE KEY'), 'the key never appears');
  });

  it('settings set smtpPassword=- reads the secret from standard input and never shows or stores it in the clear', async (t) => {
    const sb = new Sandbox(t);
    const secret = `Pw-${crypto.randomUUID()}`;
    const set = await sb.run(['settings', 'set', 'smtpUser=mailer@example.com', 'smtpPassword=-'], `${secret}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /saved smtpUser, smtpPassword/);
    const [text, json, audit] = await Promise.all([
      sb.run(['settings', 'get']),
      sb.run(['settings', 'get', '--json']),
      sb.run(['settings', 'audit']),
    ]);
    for (const r of [set, text, json, audit]) {
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'the secret never appears in any output');
    }
    assert.match(text.stdout, /^smtpPassword\s+\(set on \d{4}-\d\d-\d\dT[^)]+\)$/m);
    const view = JSON.parse(json.stdout) as { settings: { smtpPassword: { set: boolean; updatedAt: string } }; problems: { key: string }[] };
    assert.equal(view.settings.smtpPassword.set, true);
    assert.match(view.settings.smtpPassword.updatedAt, /^\d{4}-\d\d-\d\dT/);
    assert.ok(!view.problems.some((p) => p.key === 'smtpPassword'), 'a set password satisfies "password required with user"');
    assert.match(audit.stdout, /smtpPassword\s+\(secret changed\)/);

    const files = fs.readdirSync(sb.dir);
    assert.ok(files.some((f) => f.endsWith('.sqlite') || f.endsWith('.db')), `an SQLite file in ${files.join(', ')}`);
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(sb.dir, f));
      assert.equal(bytes.indexOf(secret), -1, `${f} holds the password in the clear`);
      assert.equal(bytes.indexOf(Buffer.from(secret, 'utf16le')), -1, `${f} holds the password (UTF-16)`);
    }
  });

  it('settings preset applies a provider guide; an unknown preset names the known ones', async (t) => {
    const sb = new Sandbox(t);
    const applied = await sb.ok(['settings', 'preset', 'google-workspace']);
    assert.match(applied, /applied preset google-workspace: .*smtpHost=smtp\.gmail\.com.*smtpPort=587/);
    assert.match(applied, /^next: .*app password/m);
    const view = await sb.settingsJson();
    assert.equal(view.settings.smtpHost, 'smtp.gmail.com');
    assert.equal(view.settings.smtpPort, 587);
    assert.equal(view.settings.startTls, true);

    const unknown = await sb.refused(['settings', 'preset', 'yahoo'], 'non-zero');
    assert.match(unknown, /yahoo/);
    for (const name of ['google-workspace', 'exchange365-oauth', 'graph']) assert.ok(unknown.includes(name), `names ${name}: ${unknown}`);

    const audit = await sb.ok(['settings', 'audit', '--limit', '1']);
    assert.match(audit, new RegExp(`\\s${ACTOR} \\(preset google-workspace\\)\\s`), 'the preset is audited under the caller');
  });

  it('send queues an e-mail with an attachment; queue list and show find it', async (t) => {
    const sb = new Sandbox(t);
    await sb.ok(['settings', 'set', 'postmaster=pm@example.com']);
    const file = path.join(sb.dir, 'report.pdf');
    fs.writeFileSync(file, Buffer.alloc(1234, 7));
    const out = await sb.ok(['send', '--to', 'a@example.org', '--subject', 'Quarterly report', '--text', 'T', '--attach', file]);
    const id = queuedId(out);

    const [all, pending, sent, show, showJson] = await Promise.all([
      sb.ok(['queue', 'list']),
      sb.ok(['queue', 'list', '--status', 'pending']),
      sb.ok(['queue', 'list', '--status', 'sent']),
      sb.ok(['queue', 'show', id]),
      sb.ok(['queue', 'show', id, '--json']),
    ]);
    assert.deepEqual(listedIds(all), [id]);
    assert.match(all, /pending\s.*a@example\.org\s+"Quarterly report"/);
    assert.deepEqual(listedIds(pending), [id]);
    assert.deepEqual(listedIds(sent), []);
    assert.match(show, new RegExp(`^e-mail ${id}: pending$`, 'm'));
    assert.match(show, /^\s+to\s+a@example\.org$/m);
    assert.match(show, /^\s+subject\s+Quarterly report$/m);
    assert.match(show, /^\s+attachment\s+report\.pdf \(application\/pdf, 1234 bytes\)$/m);
    // Why it waits: no postroom serve runs in this sandbox.
    assert.match(show, /^\s+waiting\s+no sending process is running: it goes once postroom serve runs$/m);
    assert.doesNotMatch(show, /next try/, 'a time already past is no next try');
    const detail = JSON.parse(showJson) as { id: number; attachments: { filename: string; size: number }[] };
    assert.equal(String(detail.id), id);
    assert.deepEqual(detail.attachments.map((a) => [a.filename, a.size]), [['report.pdf', 1234]]);
  });

  it('send refuses a malformed address, CR/LF in the subject and a missing --to with one line, storing nothing', async (t) => {
    const sb = new Sandbox(t);
    const from = ['--sender-email', 'user@example.com'];
    const [badAddress, injected, noTo, missingSubject] = await Promise.all([
      sb.refused(['send', ...from, '--to', 'not-an-address', '--subject', 'S', '--text', 'T'], 'non-zero'),
      sb.refused(['send', ...from, '--to', 'a@example.org', '--subject', 'Hello\r\nBcc: victim@example.net', '--text', 'T'], 'non-zero'),
      sb.refused(['send', ...from, '--subject', 'S', '--text', 'T'], 'non-zero'),
      sb.refused(['send', ...from, '--to', 'a@example.org', '--text', 'T'], 2),
    ]);
    assert.match(badAddress, /not a valid e-mail address/);
    assert.match(injected, /subject.*line break/);
    assert.match(noTo, /recipient/);
    assert.match(missingSubject, /--subject/);
    assert.equal((await sb.ok(['queue', 'list'])).trim(), 'no e-mails');
  });

  it('send --idempotency-key twice makes one e-mail; the second run says it was already handed over', async (t) => {
    const sb = new Sandbox(t);
    const args = ['send', '--sender-email', 'user@example.com', '--to', 'a@example.org', '--subject', 'Invoice 42', '--text', 'T', '--idempotency-key', 'invoice-42'];
    const id = queuedId(await sb.ok(args));
    const again = await sb.ok(args);
    assert.doesNotMatch(again, QUEUED);
    assert.match(again, new RegExp(`e-mail ${id} was already handed over`));
    assert.deepEqual(listedIds(await sb.ok(['queue', 'list'])), [id]);
  });

  it('queue cancel, retry, release-held and purge', async (t) => {
    const sb = new Sandbox(t);
    const id = queuedId(await sb.ok(['send', '--sender-email', 'user@example.com', '--to', 'a@example.org', '--subject', 'S', '--text', 'T']));
    assert.match(await sb.ok(['queue', 'cancel', id]), new RegExp(`^e-mail ${id} cancelled$`, 'm'));
    // retry takes no pending e-mail (only those the retry verb leaves): it succeeding shows the cancel held.
    assert.match(await sb.ok(['queue', 'retry', id]), new RegExp(`e-mail ${id} will be sent again`));

    const [unknown, released, purged] = await Promise.all([
      sb.refused(['queue', 'cancel', '999999'], 'non-zero'),
      sb.ok(['queue', 'release-held']),
      sb.ok(['queue', 'purge', '--days', '1']),
    ]);
    assert.match(unknown, /999999/);
    assert.match(released, /^0 held e-mail\(s\) released$/m);
    assert.match(purged, /^0 finished e-mail\(s\) purged$/m);
    const pending = await sb.ok(['queue', 'list', '--status', 'pending']);
    assert.deepEqual(listedIds(pending), [id], 'pending again after retry, and a waiting e-mail is never purged');

    // A bad day undone in one command: every cancelled e-mail since a time, then audited under
    // the person who ran it, like every other change the CLI makes (it was a bare "cli").
    const since = new Date(Date.now() - 3_600_000).toISOString();
    await sb.ok(['queue', 'cancel', id]);
    assert.match(await sb.ok(['queue', 'retry', '--status', 'cancelled', '--since', since]), /^1 cancelled e-mail will be sent again/m);
    const audit = await sb.ok(['settings', 'audit', '--limit', '1']);
    assert.match(
      audit,
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+${ACTOR}\\s+queue\\.retry\\s+null -> \\{"status":"cancelled","since":"${since.replace(/\./g, '\\.')}","retried":1\\}$`, 'm'),
      `the bulk retry is audited under cli:<user>:\n${audit}`,
    );

    // The statuses a bulk retry takes are those the queue's retry verb leaves (its transition
    // table), bounced included: the CLI refused it while the queue would take it.
    const p = await openPostroom({ dataDir: sb.dir, masterKey: MASTER_KEY, logger: pino({ level: 'silent' }) });
    try {
      // No delivery report reaches a test's data directory: the e-mail is made bounced in the database.
      await p.store.db.updateTable('emails').set({ status: 'bounced', due_at: null, finished_at: Date.now(), updated_at: Date.now() }).where('id', '=', Number(id)).execute();
    } finally {
      await p.close();
    }
    assert.match(await sb.ok(['queue', 'retry', '--status', 'bounced']), /^1 bounced e-mail will be sent again/m);
    assert.deepEqual(listedIds(await sb.ok(['queue', 'list', '--status', 'pending'])), [id], 'the bounced e-mail is pending again');
    const refused = await sb.refused(['queue', 'retry', '--status', 'sent'], 2);
    assert.ok(refused.includes(`--status ${TRANSITIONS.retry.from.join('|')} [--since TIME] (not "sent")`), `names the retry verb's statuses: ${refused}`);
    assert.ok(refused.includes('|bounced'), `bounced is among them: ${refused}`);
  });

  it('usage errors exit 2 with one line on stderr; no stack trace ever', async (t) => {
    const sb = new Sandbox(t);
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['settings', 'set'], /KEY=VALUE/],
      [['settings', 'set', 'smtpHost'], /not KEY=VALUE/],
      [['queue', 'cancel'], /e-mail ID/],
      [['queue', 'retry', 'abc'], /e-mail ID/],
      [['queue', 'list', '--status', 'lost'], /--status "lost": must be one of/],
      [['queue', 'list', '--bogus'], /--bogus/],
      // Missing option values and stray arguments are usage errors too.
      [['send', '--to', 'a@example.org', '--text', 'T', '--subject'], /--subject/],
      [['queue', 'list', 'extra'], /extra/],
    ];
    const results = await Promise.all(
      cases.map(async ([args, re]) => {
        const r = await sb.run(args);
        return { args, re, r };
      }),
    );
    const wrong: string[] = [];
    for (const { args, re, r } of results) {
      const lines = r.stderr.trimEnd().split('\n');
      if (r.code !== 2 || lines.length !== 1 || !re.test(lines[0] ?? '') || !/^postroom: /.test(lines[0] ?? '')) {
        wrong.push(`postroom ${args.join(' ')} -> exit ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
      }
    }
    const bare = await sb.run([]);
    assert.equal(bare.code, 2, 'no command at all is a usage error');
    assert.match(bare.stdout + bare.stderr, /Usage: postroom <command>/);
    const help = await sb.run(['help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: postroom <command>/);
    assert.equal(help.stderr, '');
    // Last, so the checks above still run when one of these is wrong.
    assert.deepEqual(wrong, [], 'each usage error exits 2 with one "postroom: …" line');
  });

  it('npx postroom help runs the project bin from the project directory, leaving dist/ as it was', async (t) => {
    const sb = new Sandbox(t);
    // An npm cache of its own, empty as on a machine where npx never ran: npx then links the
    // project and runs its `prepare`, which once rebuilt dist/ under every process running from
    // it (another CLI suite met a half-written module).
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-npx-cache-'));
    t.after(() => fs.rmSync(cache, { recursive: true, force: true }));
    const compiled = path.join(ROOT, 'dist', 'cli', 'index.js');
    const before = fs.statSync(compiled).mtimeMs;
    // --no: never fetch a package from the registry; the project's own bin must be found.
    const npx = startProcess('npx', ['--no', 'postroom', 'help'], { ...sb.env, npm_config_cache: cache }, undefined, ROOT);
    // npx reads the whole installed tree first (tens of seconds on a loaded 2-core machine).
    const timer = setTimeout(() => npx.child.kill('SIGKILL'), 120_000);
    const r = await npx.exited.finally(() => clearTimeout(timer));
    assert.equal(r.code, 0, `npx postroom help: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: postroom <command>/m);
    assert.match(r.stdout, /settings set KEY=VALUE/);
    assert.equal(fs.statSync(compiled).mtimeMs, before, 'npx did not build the project again');
  });
});
