// `postroom send`: hands one e-mail over to the queue from options, or a month-end run from a file
// (--batch, one e-mail a line, 500 at a time); a refusal names the option and the value typed.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Postroom } from '../../app.js';
import type { RuntimeConfig } from '../../config.js';
import { BATCH_MAX_EMAILS, EmailInputError, type BatchItemResult } from '../../queue/index.js';
import { parseAddressOption, quoteValue, type ParsedOption } from '../addresses.js';
import { parse, UsageError, withPostroom, type Command } from '../command.js';
import { say, visible } from '../format.js';
import { NB, terminalLanguage } from '../../i18n/index.js';
import { SAID, USAGE, word } from '../words.js';

const ADDRESS_FORMS = {
  en: `Addresses: alice@example.org, "Alice <alice@example.org>", "Doe, John" <john@example.org>,
or several in one value separated by commas: --to "alice@example.org, bob@example.org".`,
  fr: `Adresses${NB}: alice@example.org, "Alice <alice@example.org>", "Doe, John" <john@example.org>,
ou plusieurs dans une même valeur, séparées par des virgules${NB}: --to "alice@example.org, bob@example.org".`,
};

/** A count as the terminal's language writes it (8,000 or 8${NB}000). */
const count = (n: number) => n.toLocaleString(terminalLanguage() === 'fr' ? 'fr-FR' : 'en-US');

export const send = {
  name: 'send',
  overview: [
    { usage: 'send --to A [--to B]... --subject S (--text T | --html H) [options]', summary: { en: 'hand an e-mail over to the queue', fr: 'remet un e-mail à la file d’attente' } },
    {
      usage: { en: 'send --batch FILE.jsonl', fr: 'send --batch FICHIER.jsonl' },
      summary: { en: 'hand over one e-mail a line (a month-end run)', fr: 'remet un e-mail par ligne (un envoi de fin de mois)' },
    },
  ],
  help: {
    en: `Usage: postroom send --to A [--to B]... [--cc C]... [--bcc D]... --subject S (--text T | --html H)
                     [--attach FILE]... [--sender-email E [--sender-name N]]
                     [--header "Name: value"]... [--idempotency-key K] [--at ISO-TIME] [--json]
       postroom send --batch FILE.jsonl [--json]

Hands an e-mail over to the queue; the sending process delivers it at its next campaign.
With --batch, every line of FILE is one e-mail in the JSON of POST /api/v1/emails (to, subject,
text, idempotencyKey…), handed over 500 at a time; a refused line refuses itself only. A
progress bar on a terminal, then a summary naming each refused line (exit status 1 if any).

  --to, --cc, --bcc A     recipients; repeat the option or separate addresses with commas
  --subject S             the subject (one line)
  --text T, --html H      the body, as plain text or HTML (or both); with HTML alone, a plain-text
                          version is made from it when the e-mail is sent
  --attach FILE           attach a file (repeatable)
  --sender-email E        the user the e-mail is from (the sender policy decides the From)
  --sender-name N         that user's name
  --header "Name: value"  an extra header, such as Reply-To (repeatable)
  --idempotency-key K     the same key never makes a second e-mail
  --at ISO-TIME           send it at this time (ISO 8601 with Z or an offset, at most 366 days ahead); until then it waits as pending
  --json                  print the result as JSON (with --batch: one result a line)

${ADDRESS_FORMS.en}`,
    fr: `Utilisation${NB}: postroom send --to A [--to B]... [--cc C]... [--bcc D]... --subject S (--text T | --html H)
                           [--attach FICHIER]... [--sender-email E [--sender-name N]]
                           [--header "Nom: valeur"]... [--idempotency-key K] [--at DATE-ISO] [--json]
             postroom send --batch FICHIER.jsonl [--json]

Remet un e-mail à la file d’attente${NB}; le processus d’envoi le remet à sa prochaine campagne d’envoi.
Avec --batch, chaque ligne de FICHIER est un e-mail dans le JSON de POST /api/v1/emails (to,
subject, text, idempotencyKey…), remis par paquets de 500${NB}; une ligne refusée n’est refusée
qu’elle-même. Une barre de progression sur un terminal, puis un bilan qui nomme chaque ligne
refusée (code de sortie 1 s’il y en a).

  --to, --cc, --bcc A     destinataires${NB}; répétez l’option ou séparez les adresses par des virgules
  --subject S             l’objet (une ligne)
  --text T, --html H      le corps, en texte brut ou en HTML (ou les deux)${NB}; avec du HTML seul, une
                          version texte en est tirée à l’envoi de l’e-mail
  --attach FICHIER        joint un fichier (répétable)
  --sender-email E        l’utilisateur dont vient l’e-mail (la règle d’expéditeur décide du From)
  --sender-name N         le nom de cet utilisateur
  --header "Nom: valeur"  un en-tête supplémentaire, comme Reply-To (répétable)
  --idempotency-key K     une même clé ne crée jamais un second e-mail
  --at DATE-ISO           l’envoie à cette date (ISO 8601 avec Z ou un décalage, au plus 366${NB}jours plus tard)${NB}; d’ici là, il attend au statut pending
  --json                  affiche le résultat en JSON (avec --batch${NB}: un résultat par ligne)

${ADDRESS_FORMS.fr}`,
  },
  options: {
    to: { type: 'string', multiple: true, default: [] },
    cc: { type: 'string', multiple: true, default: [] },
    bcc: { type: 'string', multiple: true, default: [] },
    subject: { type: 'string' },
    text: { type: 'string' },
    html: { type: 'string' },
    attach: { type: 'string', multiple: true, default: [] },
    'sender-email': { type: 'string' },
    'sender-name': { type: 'string' },
    header: { type: 'string', multiple: true, default: [] },
    'idempotency-key': { type: 'string' },
    at: { type: 'string' },
    json: { type: 'boolean', default: false },
    batch: { type: 'string' },
  },
  run: sendOne,
} satisfies Command;

async function sendOne(config: RuntimeConfig, args: string[]): Promise<number> {
  const { values } = parse('send', { args, strict: true, options: send.options });
  if (values.batch !== undefined) return sendBatchFile(config, values.batch, values.json, args);
  if (values.subject === undefined) throw new UsageError(word(USAGE.subjectRequired));
  const recipients: Record<'to' | 'cc' | 'bcc', ParsedOption[]> = {
    to: parseAddressOption('--to', values.to),
    cc: parseAddressOption('--cc', values.cc),
    bcc: parseAddressOption('--bcc', values.bcc),
  };
  const headers: Record<string, string> = {};
  for (const h of values.header) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(word(USAGE.headerForm, { typed: quoteValue(h) }));
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const attachments = values.attach.map((file) => {
    let content: Buffer;
    try {
      content = fs.readFileSync(file);
    } catch (err) {
      throw new UsageError(word(USAGE.cannotRead, { command: 'send: --attach', typed: quoteValue(file), code: (err as NodeJS.ErrnoException).code ?? 'error' }));
    }
    return { filename: path.basename(file), contentType: contentTypeOf(file), contentBase64: content.toString('base64') };
  });
  const input = {
    to: recipients.to.map((r) => r.address),
    cc: recipients.cc.map((r) => r.address),
    bcc: recipients.bcc.map((r) => r.address),
    subject: values.subject,
    ...(values.text !== undefined ? { text: values.text } : {}),
    ...(values.html !== undefined ? { html: values.html } : {}),
    ...(attachments.length ? { attachments } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(values['sender-email'] ? { sender: { email: values['sender-email'], ...(values['sender-name'] ? { name: values['sender-name'] } : {}) } } : {}),
    ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}),
    ...(values.at !== undefined ? { sendAt: values.at } : {}),
  };
  // 'cli' is the e-mail's source (where it came from), not the audit's actor.
  const result = await withPostroom(config, (p) => p.queue.handOver(input, 'cli')).catch((err: unknown) => {
    throw err instanceof EmailInputError ? new EmailInputError(err.errors.map((e) => nameOption(e, recipients, values, attachments))) : err;
  });
  if (values.json) say(JSON.stringify(result));
  else if (result.duplicate) say(word(SAID.duplicate, { id: result.id, status: result.status }));
  else say(word(SAID.queued, { id: result.id, status: result.status, messageId: result.messageId, scheduled: values.at !== undefined ? word(SAID.scheduled, { at: new Date(values.at).toISOString() }) : '' }));
  return 0;
}

const OPTION_OF: Record<string, string> = {
  subject: '--subject', text: '--text', html: '--html', headers: '--header', attachments: '--attach', idempotencyKey: '--idempotency-key',
};

/** A refusal of the hand-over, told as the option and the value typed ("--to "Bob <b@x>"") instead of its field path ("to.0"). */
function nameOption(
  e: { field: string; message: string },
  recipients: Record<'to' | 'cc' | 'bcc', ParsedOption[]>,
  values: { subject?: string | undefined; header: string[]; attach: string[]; 'idempotency-key'?: string | undefined; 'sender-email'?: string | undefined; 'sender-name'?: string | undefined },
  attachments: { filename: string }[],
): { field: string; message: string } {
  const [top = '', second] = e.field.split('.');
  const index = Number(second);
  if (top === 'to' || top === 'cc' || top === 'bcc') {
    const source = Number.isInteger(index) ? recipients[top][index]?.source : undefined;
    return { field: source === undefined ? `--${top}` : `--${top} ${quoteValue(source)}`, message: e.message };
  }
  if (top === 'sender') {
    const option = second === 'name' ? 'sender-name' : 'sender-email';
    const value = values[option];
    // The reason in words comes with the refusal itself (queue/input.ts).
    return { field: value === undefined ? `--${option}` : `--${option} ${quoteValue(value)}`, message: e.message };
  }
  if (top === 'attachments' && Number.isInteger(index)) {
    return { field: `--attach ${quoteValue(values.attach[index] ?? attachments[index]?.filename ?? '')}`, message: e.message };
  }
  if (top === 'headers' && second) {
    const typed = values.header.find((h) => h.slice(0, h.indexOf(':')).trim() === second);
    return { field: `--header ${quoteValue(typed ?? second)}`, message: e.message };
  }
  const option = OPTION_OF[top];
  if (!option) return e;
  const value = top === 'subject' ? values.subject : top === 'idempotencyKey' ? values['idempotency-key'] : undefined;
  return { field: value === undefined ? option : `${option} ${quoteValue(value)}`, message: e.message };
}

const TYPES: Record<string, string> = {
  pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', html: 'text/html', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg',
  gif: 'image/gif', zip: 'application/zip', xml: 'application/xml', json: 'application/json', ics: 'text/calendar',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).slice(1).toLowerCase()] ?? 'application/octet-stream';
}

/** send --batch FILE: every other option of send describes one e-mail, which the file does. */
async function sendBatchFile(config: RuntimeConfig, file: string, json: boolean, args: string[]): Promise<number> {
  const others = args.filter((a) => a.startsWith('--') && !['--batch', '--json'].includes(a.split('=')[0] ?? ''));
  if (others.length) throw new UsageError(word(USAGE.batchOthers, { option: others[0]?.split('=')[0] ?? '' }));
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw new UsageError(word(USAGE.cannotRead, { command: 'send --batch', typed: quoteValue(file), code: (err as NodeJS.ErrnoException).code ?? 'error' }));
  }
  const summary = await withPostroom(config, (p) => sendBatch(p, file, 'cli', json ? (r) => say(JSON.stringify(r)) : undefined));
  if (!json) say(formatBatchSummary(file, summary));
  // A refused line is the script's to fix: it must not pass for a clean run.
  return summary.refused.length ? 1 : 0;
}

export interface BatchSummary {
  queued: number;
  duplicates: number;
  /** Line number (from 1) and why. */
  refused: { line: number; reason: string }[];
}

/** One line of the file: what to hand over, or why it cannot be read. */
type Line = { line: number; email: unknown } | { line: number; unreadable: string };

async function* lines(file: string): AsyncGenerator<Line> {
  const input = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of input) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { line, email: JSON.parse(text) as unknown };
    } catch (err) {
      yield { line, unreadable: word(SAID.notJson, { error: (err as Error).message }) };
    }
  }
}

/** Counts the lines that hold an e-mail, for the progress bar's whole. */
async function countEmails(file: string): Promise<number> {
  let n = 0;
  for await (const l of lines(file)) if ('email' in l || 'unreadable' in l) n++;
  return n;
}

/** `[#########-----------]  4,500 / 8,000` on one line of the terminal, redrawn in place. */
function progressBar(total: number, out: NodeJS.WriteStream): (done: number) => void {
  if (!out.isTTY) return () => undefined;
  return (done) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count(done)} / ${count(total)}${done === total ? '\n' : ''}`);
  };
}

export async function sendBatch(postroom: Postroom, file: string, source: string, onResult?: (r: BatchItemResult & { line: number }) => void): Promise<BatchSummary> {
  const summary: BatchSummary = { queued: 0, duplicates: 0, refused: [] };
  const draw = progressBar(await countEmails(file), process.stderr);
  let done = 0;
  draw(0);
  let pending: { line: number; email: unknown }[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const results = await postroom.queue.handOverMany(
      pending.map((p) => p.email),
      source,
    );
    for (const r of results) {
      const line = pending[r.index]?.line ?? 0;
      onResult?.({ ...r, line });
      if ('error' in r) summary.refused.push({ line, reason: r.error.fields.map((f) => `${f.field}: ${f.message}`).join('; ') || r.error.message });
      else if (r.duplicate) summary.duplicates++;
      else summary.queued++;
    }
    done += pending.length;
    draw(done);
    pending = [];
  };
  for await (const l of lines(file)) {
    if ('unreadable' in l) {
      summary.refused.push({ line: l.line, reason: l.unreadable });
      done++;
      continue;
    }
    pending.push(l);
    if (pending.length === BATCH_MAX_EMAILS) await flush();
  }
  await flush();
  return summary;
}

export function formatBatchSummary(file: string, s: BatchSummary): string {
  const total = s.queued + s.duplicates + s.refused.length;
  const out = [word(SAID.batchSummary, { total: count(total), file, queued: count(s.queued), duplicates: count(s.duplicates), refused: count(s.refused.length) })];
  for (const r of s.refused.slice(0, 50)) out.push(word(SAID.batchLine, { line: r.line, reason: visible(r.reason) }));
  if (s.refused.length > 50) out.push(word(SAID.batchMore, { n: s.refused.length - 50 }));
  return out.join('\n');
}
