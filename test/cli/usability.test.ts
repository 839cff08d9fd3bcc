// The real `postroom` command as a newcomer meets it: every command answers --help (and
// `postroom help CMD`), usual address forms are accepted, a refusal names the option and the value
// typed and says why, a mistyped setting key gets a suggestion, and `status` does not load the
// HTTP server or MSAL. Runs the compiled code (npm run build first).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, type TestContext } from 'node:test';
import { privatePki } from '../helpers/pki.js';
import { assertBuilt } from '../helpers/built.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'postroom.js');
const MASTER_KEY = '4f1c2a9e8b7d6c5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sandbox(t: TestContext): { dir: string; run: (args: string[], nodeArgs?: string[], extraEnv?: NodeJS.ProcessEnv, input?: string) => Promise<Result> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-cli-help-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('POSTROOM_') && k !== 'NODE_TEST_CONTEXT') env[k] = v;
  Object.assign(env, { POSTROOM_DATA_DIR: dir, POSTROOM_MASTER_KEY: MASTER_KEY });
  const run = (args: string[], nodeArgs: string[] = [], extraEnv: NodeJS.ProcessEnv = {}, input?: string) =>
    new Promise<Result>((resolve, reject) => {
      const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      child.stdin?.end(input);
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  return { dir, run };
}

/** Exactly one line on stderr, "postroom: …", and the exit code. */
function refusal(r: Result, code: number): string {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  return lines[0] ?? '';
}

const COMMANDS = [
  'serve', 'send', 'status', 'settings', 'settings get', 'settings set', 'settings preset', 'settings audit',
  'queue', 'queue list', 'queue show', 'queue retry', 'queue cancel', 'queue release-held', 'queue purge',
  'admin', 'admin password', 'token', 'token create', 'token list', 'token revoke', 'help',
];

describe('postroom CLI for a newcomer (the real binary)', { concurrency: 1 }, () => {
  it('every command answers --help, -h and "postroom help CMD" with its usage, and touches no database', async (t) => {
    const sb = sandbox(t);
    for (const [i, command] of COMMANDS.entries()) {
      const words = command.split(' ');
      // -h and "help CMD" on every third command: each run costs a Node start-up.
      const [flag, short, help] = await Promise.all([
        sb.run([...words, '--help']),
        i % 3 === 0 ? sb.run([...words, '-h']) : null,
        i % 3 === 1 || command === 'help' ? sb.run(['help', ...words]) : null,
      ]);
      assert.equal(flag.code, 0, `postroom ${command} --help exits 0; stderr: ${flag.stderr}`);
      assert.match(flag.stdout, new RegExp(`^Usage: postroom ${command}\\b`), `postroom ${command} --help starts with its usage:\n${flag.stdout}`);
      assert.equal(flag.stderr, '', `postroom ${command} --help writes nothing on stderr`);
      if (short) assert.equal(short.stdout, flag.stdout, `postroom ${command} -h is the same help`);
      if (help) {
        assert.equal(help.code, 0, `postroom help ${command} exits 0`);
        assert.equal(help.stdout, flag.stdout, `postroom help ${command} is the same help`);
      }
    }
    // --help after other options still answers help, and does not send or start anything.
    const late = await sb.run(['send', '--to', 'a@example.org', '--subject', 'S', '--help']);
    assert.equal(late.code, 0);
    assert.match(late.stdout, /^Usage: postroom send /);
    const sendHelp = (await sb.run(['send', '--help'])).stdout;
    assert.match(sendHelp, /Alice <alice@example\.org>/, 'send --help shows the address forms');
    assert.match(
      sendHelp,
      /^ {2}--at ISO-TIME +send it at this time \(ISO 8601 with Z or an offset, at most 366 days ahead\); until then it waits as pending$/m,
      'send --help explains --at',
    );
    assert.deepEqual(fs.readdirSync(sb.dir), [], 'asking for help opened no database');

    const overview = await sb.run(['help']);
    assert.equal(overview.code, 0);
    for (const command of ['serve', 'send', 'status', 'settings', 'queue', 'admin', 'token']) {
      assert.match(overview.stdout, new RegExp(`^  ${command}\\b`, 'm'), `the overview lists ${command}`);
    }
    const unknown = refusal(await sb.run(['help', 'stauts']), 2);
    assert.equal(unknown, 'postroom: unknown command "stauts" — did you mean status? (postroom help lists the commands)');
    const option = refusal(await sb.run(['send', '--frobnicate']), 2);
    assert.match(option, /^postroom: send: Unknown option '--frobnicate' \(postroom send --help lists the options\)$/);
  });

  it('send accepts "Name <address>", quoted names with commas and several addresses in one value', async (t) => {
    const sb = sandbox(t);
    const sent = await sb.run([
      'send', '--sender-email', 'user@example.com',
      '--to', 'Alice <alice@example.org>', '--to', 'bob@example.org, Carol Martin <carol@example.org>',
      '--cc', '"Doe, John" <john@example.org>', '--bcc', '<audit@example.org>',
      '--subject', 'Address forms', '--text', 'T',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    const id = /^queued e-mail (\d+) /m.exec(sent.stdout)?.[1];
    assert.ok(id, `queued id in: ${sent.stdout}`);
    const shown = await sb.run(['queue', 'show', id, '--json']);
    const detail = JSON.parse(shown.stdout) as { to: unknown[]; cc: unknown[]; bcc: unknown[] };
    assert.deepEqual(detail.to, [
      { email: 'alice@example.org', name: 'Alice' },
      { email: 'bob@example.org' },
      { email: 'carol@example.org', name: 'Carol Martin' },
    ]);
    assert.deepEqual(detail.cc, [{ email: 'john@example.org', name: 'Doe, John' }]);
    assert.deepEqual(detail.bcc, [{ email: 'audit@example.org' }]);
  });

  it('a refused e-mail names the option and the value typed, and why; nothing is stored', async (t) => {
    const sb = sandbox(t);
    const base = ['send', '--sender-email', 'user@example.com', '--subject', 'S', '--text', 'T'];
    const [domain, noAt, second, subject, sender] = await Promise.all([
      sb.run([...base, '--to', 'alice@exmaple']),
      sb.run([...base, '--to', 'Alice Martin']),
      sb.run([...base, '--to', 'ok@example.org', '--cc', 'ok2@example.org, bob@@example.org']),
      sb.run(['send', '--to', 'a@example.org', '--subject', 'Hi\r\nBcc: victim@example.net', '--text', 'T']),
      sb.run(['send', '--to', 'a@example.org', '--subject', 'S', '--text', 'T', '--sender-email', 'user@localhost']),
    ]);
    assert.equal(
      refusal(domain, 1),
      'postroom: e-mail refused, nothing stored: --to "alice@exmaple": is not a valid e-mail address (the domain "exmaple" has no dot: a full domain such as example.org is needed)',
    );
    assert.match(refusal(noAt, 1), /: --to "Alice Martin": is not a valid e-mail address \(no @ in it: write alice@example\.org or "Alice <alice@example\.org>"\)$/);
    assert.match(refusal(second, 1), /: --cc "ok2@example\.org, bob@@example\.org" \("bob@@example\.org" in it\): is not a valid e-mail address \(it has more than one @\)$/);
    assert.match(refusal(subject, 1), /: --subject "Hi\\r\\nBcc: victim@example\.net": contains a line break$/);
    assert.match(refusal(sender, 1), /: --sender-email "user@localhost": is not a valid e-mail address \(the domain "localhost" has no dot/);
    for (const r of [domain, noAt, second, subject, sender]) assert.doesNotMatch(r.stderr, /\b(to|cc|sender)\.\d|sender\.email/, 'no internal field path');
    assert.equal((await sb.run(['queue', 'list'])).stdout.trim(), 'no e-mails');
  });

  it('settings set with a mistyped key suggests the right one and saves nothing; a refused value is named as typed', async (t) => {
    const sb = sandbox(t);
    const [lower, typo, upper, unknown] = await Promise.all([
      sb.run(['settings', 'set', 'smtphost=x.example.com']),
      sb.run(['settings', 'set', 'postmaster=pm@example.com', 'smtpHots=x.example.com']),
      sb.run(['settings', 'set', 'SMTPPORT=25']),
      sb.run(['settings', 'set', 'colour=blue']),
    ]);
    assert.equal(refusal(lower, 2), 'postroom: unknown setting smtphost — did you mean smtpHost? (postroom settings get lists them)');
    assert.match(refusal(typo, 2), /^postroom: unknown setting smtpHots — did you mean smtpHost\?/);
    assert.match(refusal(upper, 2), /^postroom: unknown setting SMTPPORT — did you mean smtpPort\?/);
    assert.equal(refusal(unknown, 2), 'postroom: unknown setting colour (postroom settings get lists them)');
    const port = refusal(await sb.run(['settings', 'set', 'smtpPort=99999']), 1);
    assert.equal(port, 'postroom: settings refused, nothing saved: smtpPort="99999": must be at most 65535');
    const view = JSON.parse((await sb.run(['settings', 'get', '--json'])).stdout) as { settings: Record<string, unknown> };
    assert.equal(view.settings.smtpHost, '', 'nothing was saved');
    assert.equal(view.settings.postmaster, '', 'the good half of a refused set was not saved either');
    assert.equal(view.settings.smtpPort, 587);
  });

  it('settings set smtpCaCertificate=- reads a PEM from standard input; get shows its subject and expiry; a key is refused', async (t) => {
    const sb = sandbox(t);
    const company = privatePki('Company Private CA');
    const saved = await sb.run(['settings', 'set', 'smtpCaCertificate=-'], [], {}, company.caPem);
    assert.equal(saved.code, 0, saved.stderr);
    const shown = await sb.run(['settings', 'get']);
    assert.match(shown.stdout, /^smtpCaCertificate\s+CN=Company Private CA \(issued by CN=Company Private CA, expires \d{4}-\d\d-\d\dT[^)]+\)$/m);
    assert.match(shown.stdout, /^microsoftCaCertificate\s+\(empty\)$/m);
    const key = refusal(await sb.run(['settings', 'set', 'smtpCaCertificate=-'], [], {}, company.keyPem), 1);
    assert.equal(key, "postroom: settings refused, nothing saved: smtpCaCertificate=\"(standard input)\": is a private key: paste only the CA's certificate, never a key");
    const view = JSON.parse((await sb.run(['settings', 'get', '--json'])).stdout) as { settings: Record<string, unknown> };
    assert.equal(view.settings.smtpCaCertificate, company.caPem.trim(), 'the refused key left the stored certificate alone');
  });

  it('status loads neither the HTTP server nor MSAL (they made the first status slow)', async (t) => {
    const sb = sandbox(t);
    const log = path.join(sb.dir, 'modules.txt');
    const hook = path.join(ROOT, 'test', 'fixtures', 'record-modules.mjs');
    const r = await sb.run(['status'], ['--import', hook], { POSTROOM_TEST_MODULE_LOG: log });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^e-mails: pending 0/m);
    const modules = fs.readFileSync(log, 'utf8');
    assert.match(modules, /node_modules\/kysely\//, 'the hook saw the modules status needs');
    assert.doesNotMatch(modules, /node_modules\/(fastify|@fastify|@azure\/msal-node|prom-client)\//, 'status loaded no HTTP server or MSAL module');
  });
});
