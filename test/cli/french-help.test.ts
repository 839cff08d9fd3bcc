// The `postroom` command's help, usage errors and refusals in French (LANG=fr_FR.UTF-8): the
// overview, a command's and a sub-command's help, a mistyped sub-command and a refused setting
// hold no English sentence; with an English terminal they read exactly as before.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { assertBuilt } from '../helpers/built.js';
import { cleanEnv } from '../helpers/cli.js';

assertBuilt();

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-cli-fr-help-'));
const base = { ...cleanEnv(), POSTROOM_DATA_DIR: dataDir, POSTROOM_MASTER_KEY: crypto.randomBytes(32).toString('hex'), LC_ALL: '', LC_MESSAGES: '' };
const NB = '\u00a0';

/** Words of English prose; none of them is French, nor an option, key, status or command name. */
const ENGLISH =
  /\b(the|and|or|of|is|are|was|will|with|for|every|each|use|give|shows?|sends?|lists?|unknown|refused|nothing|saved|must|not|only|when|which|one|usage|environment|see|least|line|addresses|recipients?|whole|number|did you mean|subcommand|hand|over|again|waiting|campaign|settings refused)\b/i;

/** Command and sub-command names, which stay as they are typed. */
const COMMAND_WORDS = /\b(serve|send|status|settings|queue|admin|token|webhook|help|list|show|retry|cancel|release-held|purge|get|set|preset|audit|password|create|revoke|add|remove|log)\b/g;

/** The prose of a line: option names, setting keys, status codes, command names, event types and typed values taken out. */
const prose = (line: string) =>
  line
    .replace(/^postroom: /, '')
    .replace(/--[\w-]+/g, ' ')
    .replace(COMMAND_WORDS, ' ')
    .replace(/"[^"\n]*"/g, ' ')
    .replace(/<[^>\n]*>/g, ' ')
    .replace(/\b[a-z]+[A-Z]\w*\b/g, ' ')
    .replace(/\b\w+\.\w+\b/g, ' ')
    .replace(/\b(pending|sending|sent|error|failed|held|cancelled|bounced)\b/g, ' ');

function postroom(args: string[], lang: string) {
  const r = spawnSync(process.execPath, ['bin/postroom.js', ...args], { env: { ...base, LANG: lang }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function assertFrench(text: string) {
  for (const line of text.split('\n')) {
    assert.doesNotMatch(prose(line), ENGLISH, `English in: ${line}`);
    // French typography: a no-break space before : ; ? ! (a value typed, a header or a URL aside).
    assert.doesNotMatch(prose(line).replace(/\S+:\/\/\S+/g, ' ').replace(/\d:\d/g, ' '), /[^\u00a0\s][;?!](\s|$)|[^\u00a0][:](\s|$)/, `typography: ${line}`);
  }
}

describe('postroom help and errors in French', () => {
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('the overview, queue --help and send --help', () => {
    const overview = postroom(['--help'], 'fr_FR.UTF-8');
    assert.equal(overview.code, 0);
    assert.match(overview.out, new RegExp(`^Utilisation${NB}: postroom <commande> \\[options\\] +\\(postroom help <commande> pour une commande\\)$`, 'm'));
    assert.match(overview.out, /^ {2}settings get \[--json\] +affiche Configuration > E-mail et ses problèmes$/m);
    assert.match(overview.out, new RegExp(`^Environnement${NB}: POSTROOM_DATA_DIR`, 'm'));
    assertFrench(overview.out);

    const queue = postroom(['queue', '--help'], 'fr_FR.UTF-8');
    assert.equal(queue.code, 0);
    assert.match(queue.out, new RegExp(`^Utilisation${NB}: postroom queue list \\[--status S\\]`));
    assert.match(queue.out, /^Les e-mails de la file d’attente et ce que l’administrateur peut en faire\.$/m);
    assertFrench(queue.out);
    // A sub-command's help, and "postroom help CMD SUB" the same.
    const retry = postroom(['queue', 'retry', '--help'], 'fr_FR.UTF-8');
    assert.match(retry.out, /campagne d’envoi/);
    assert.equal(postroom(['help', 'queue', 'retry'], 'fr_FR.UTF-8').out, retry.out);
    assertFrench(retry.out);

    const send = postroom(['send', '--help'], 'fr_FR.UTF-8');
    assert.equal(send.code, 0);
    assert.match(send.out, new RegExp(`^Utilisation${NB}: postroom send --to A`));
    assert.match(send.out, /^ {2}--subject S +l’objet \(une ligne\)$/m);
    assert.match(send.out, new RegExp(`^Adresses${NB}: alice@example\\.org, "Alice <alice@example\\.org>"`, 'm'));
    assertFrench(send.out);
  });

  it('a usage error and a refused setting', () => {
    const usage = postroom(['queue', 'frobnicate'], 'fr_FR.UTF-8');
    assert.equal(usage.code, 2);
    assert.equal(usage.out, '');
    assert.equal(usage.err, `postroom: queue${NB}: sous-commande inconnue "frobnicate"${NB}; utilisez list, show, retry, cancel, release-held ou purge (postroom queue --help)\n`);
    assertFrench(usage.err);

    const option = postroom(['queue', 'list', '--frob'], 'fr_FR.UTF-8');
    assert.equal(option.code, 2);
    assert.equal(option.err, `postroom: queue list${NB}: option inconnue --frob (postroom queue list --help liste les options)\n`);

    const refused = postroom(['settings', 'set', 'smtpPort=abc'], 'fr_FR.UTF-8');
    assert.equal(refused.code, 1);
    assert.equal(refused.err, `postroom: paramètres refusés, rien n’est enregistré${NB}: smtpPort="abc"${NB}: doit être un nombre entier\n`);
    assertFrench(refused.err);
  });

  it('stays as it was for an English terminal', () => {
    const overview = postroom(['--help'], 'en_US.UTF-8');
    assert.match(overview.out, /^Usage: postroom <command> \[options\] +\(postroom help <command> for one command\)$/m);
    assert.match(overview.out, /^ {2}settings get \[--json\] +show Configuration > Email and its problems$/m);
    assert.match(overview.out, /^Environment: POSTROOM_DATA_DIR \(\.\/data\)/m);
    assert.equal(
      postroom(['queue', '--help'], 'en_US.UTF-8').out,
      `Usage: postroom queue list [--status S] [--limit N] [--json]
       postroom queue show ID [--json]
       postroom queue retry ID | retry --status S [--since TIME] | cancel ID | release-held | purge [--days N]

The e-mails in the queue and the administrator's actions on them.
`,
    );
    const send = postroom(['send', '--help'], 'C').out;
    assert.match(send, /^Usage: postroom send --to A \[--to B\]\.\.\. \[--cc C\]\.\.\. \[--bcc D\]\.\.\. --subject S \(--text T \| --html H\)$/m);
    assert.match(send, /^ {2}--subject S +the subject \(one line\)$/m);
    assert.match(send, /^Addresses: alice@example\.org, "Alice <alice@example\.org>"/m);

    assert.equal(
      postroom(['queue', 'frobnicate'], 'en_US.UTF-8').err,
      'postroom: queue: unknown subcommand "frobnicate"; use list, show, retry, cancel, release-held or purge (postroom queue --help)\n',
    );
    assert.equal(postroom(['queue', 'list', '--frob'], 'en_US.UTF-8').err, "postroom: queue list: Unknown option '--frob' (postroom queue list --help lists the options)\n");
    const refused = postroom(['settings', 'set', 'smtpPort=abc'], 'en_US.UTF-8');
    assert.equal(refused.code, 1);
    assert.equal(refused.err, 'postroom: settings refused, nothing saved: smtpPort="abc": must be a whole number\n');
  });
});
