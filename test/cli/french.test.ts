// The `postroom` command in French (LANG=fr_FR.UTF-8): what an administrator reads when mail is
// stuck (status, queue list and show, settings get) comes in French, a server's reply as written.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { openPostroom } from '../../src/app.js';
import { assertBuilt } from '../helpers/built.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

assertBuilt();

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-cli-fr-'));
const key = crypto.randomBytes(32).toString('hex');
const base = { ...process.env, POSTROOM_DATA_DIR: dataDir, POSTROOM_MASTER_KEY: key, POSTROOM_DATABASE_URL: '', LC_ALL: '', LC_MESSAGES: '' };
// Words of Postroom's English sentences that French output must not hold (the server's reply below has none).
const ENGLISH = /\b(the|was|will|failed|answered|sending|tried|again|created|subject|attempts|recipient|waiting|running|complete|incomplete|next|campaign|e-mails wait)\b/;

function postroom(args: string[], lang: string) {
  const r = spawnSync(process.execPath, ['bin/postroom.js', ...args], { env: { ...base, LANG: lang }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('postroom in French', () => {
  let sink: SmtpSink;
  let id = 0;

  before(async () => {
    // A relay that defers the message with a reply of its own words (not English).
    sink = await startSmtpSink({ dataReplies: [{ code: 451, message: '4.3.0 file pleine, réessayez' }] });
    const p = await openPostroom({ dataDir, masterKey: key, logger: pino({ level: 'silent' }), dispatcher: { backoff: { baseMs: 3_600_000, capMs: 3_600_000 }, route: { ca: testPki().caPem } } });
    try {
      await p.settings.update({ enabled: true, smtpHost: 'localhost', smtpPort: sink.port, startTls: true, postmaster: 'pm@example.com' }, 'test');
      id = (await p.queue.handOver({ to: ['alice@example.org'], subject: 'Facture 7', text: 'Ci-joint.' }, 'test')).id;
      await p.dispatcher.runCampaign();
    } finally {
      await p.close();
    }
  });
  after(async () => {
    await sink.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('queue show: labels, why it waits and the failed attempt in French, the reply as written', () => {
    const out = postroom(['queue', 'show', String(id)], 'fr_FR.UTF-8');
    assert.match(out, new RegExp(`^e-mail ${id}\u00a0: en erreur$`, 'm'));
    assert.match(out, /^ {2}objet +Facture 7$/m);
    // No sending process runs here: that is why it waits.
    assert.match(out, /^ {2}en attente +aucun processus d’envoi ne tourne\u00a0: il partira quand postroom serve tournera$/m);
    assert.match(out, new RegExp(`^ {4}\\S+ +smtp +transient +localhost:${sink.port} a répondu à DATA\u00a0: 451 4\\.3\\.0 file pleine, réessayez$`, 'm'));
    assert.match(out, /^ {2}tentatives +1$/m);
    for (const line of out.split('\n')) assert.doesNotMatch(line, ENGLISH, line);
  });

  it('queue list, status and settings get in French', () => {
    const listed = postroom(['queue', 'list'], 'fr_FR.UTF-8');
    assert.match(listed, new RegExp(`\\[localhost:${sink.port} a répondu à DATA\u00a0: 451 `));
    const status = postroom(['status'], 'fr_FR.UTF-8');
    assert.match(status, /^e-mails\u00a0: en attente 0, en cours d’envoi 0, envoyé 0, en erreur 1, /m);
    assert.match(status, /^processus d’envoi\u00a0: aucun ne tourne \(en démarrer un avec\u00a0: postroom serve\)$/m);
    const settings = postroom(['settings', 'get'], 'fr_FR.UTF-8');
    assert.match(settings, /^Configuration complète\.$/m);
    assert.match(settings, /^smtpPassword +\(non défini\)$/m);
    for (const line of [...listed.split('\n'), ...status.split('\n'), ...settings.split('\n')]) assert.doesNotMatch(line, ENGLISH, line);
  });

  it('stays English for an English terminal, and LC_ALL wins over LANG', () => {
    assert.match(postroom(['status'], 'en_US.UTF-8'), /^sending process: none running/m);
    const r = spawnSync(process.execPath, ['bin/postroom.js', 'status'], { env: { ...base, LANG: 'fr_FR.UTF-8', LC_ALL: 'C' }, encoding: 'utf8' });
    assert.match(r.stdout, /^sending process: none running/m);
  });
});
