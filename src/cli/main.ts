// `postroom`: serve, send, settings, queue. Each command opens Postroom on the configured
// database, does one thing, and exits non-zero with a one-line reason when it cannot.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import pino from 'pino';
import { openPostroom, type Postroom } from '../app.js';
import { readConfig, type RuntimeConfig } from '../config.js';
import { EmailInputError, STATUSES } from '../queue/index.js';
import { FIELDS, PRESETS, SECRET_KEYS, SETTING_KEYS, SettingsValidationError, coerceSettingText, isSettingKey } from '../settings/index.js';
import type { EmailStatus } from '../db/index.js';
import { exitCodeOf, PostroomError } from '../errors.js';
import { formatEmailDetail, formatEmailLine, formatSettings, formatStatus, visible } from './format.js';
import type { WebhookInfo, WebhookViewer } from '../webhooks/index.js';
import { COMMANDS, helpFor, overview } from './help.js';
import { closest } from './suggest.js';
import { formatBatchSummary, sendBatch } from './batch.js';
import { parseAddressOption, quoteValue, whyInvalid, type ParsedOption } from './addresses.js';

/** Every line the commands print goes through here: stored text is shown, never obeyed (see visible). */
const say = (text: string): void => console.log(visible(text));

export class UsageError extends PostroomError {
  override name = 'UsageError';
  readonly code = 'usage';
}

const actor = () => `cli:${os.userInfo().username}`;

async function withPostroom<T>(config: RuntimeConfig, fn: (p: Postroom) => Promise<T>): Promise<T> {
  const postroom = await openPostroom({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    logger: pino({ level: 'warn' }, pino.destination(2)),
  });
  try {
    return await fn(postroom);
  } finally {
    await postroom.close();
  }
}

/** The command words a line starts with (before its first option): ["settings", "set"]. */
const commandWords = (argv: string[]) => {
  const end = argv.findIndex((a) => a.startsWith('-'));
  return end === -1 ? argv : argv.slice(0, end);
};

function printHelp(words: string[]): number {
  const text = helpFor(words);
  if (text === null) throw unknownCommand(words[0] ?? '');
  say(text);
  return 0;
}

function unknownCommand(command: string): UsageError {
  const guess = closest(command, COMMANDS);
  return new UsageError(`unknown command "${command}"${guess ? ` — did you mean ${guess}?` : ''} (postroom help lists the commands)`);
}

/** node's parseArgs, with its complaints naming the command and where its options are listed. */
function parse<T extends ParseArgsConfig>(command: string, config: T) {
  try {
    return parseArgs(config);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(`${command}: ${(err as Error).message.split('\n')[0]} (postroom ${command} --help lists the options)`);
    }
    throw err;
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command) {
    say(overview());
    return 2;
  }
  if (command === 'help') {
    const words = rest.filter((a) => a !== '--help' && a !== '-h');
    // "postroom help --help": the help of help itself.
    return printHelp(words.length === 0 && rest.length > 0 ? ['help'] : words);
  }
  // --help anywhere before "--" asks for the help of the command the line starts with.
  const beforeEnd = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (beforeEnd.some((a) => a === '--help' || a === '-h')) return printHelp(commandWords(argv));
  const config = readConfig();
  switch (command) {
    case 'serve':
      // The HTTP server's modules (Fastify, the console, metrics) load only for `serve`.
      return (await import('./serve.js')).serve(config);
    case 'send':
      return send(config, rest);
    case 'settings':
      return settings(config, rest);
    case 'queue':
      return queue(config, rest);
    case 'status':
      return status(config, rest);
    case 'admin':
      return adminCommand(config, rest);
    case 'token':
      return tokenCommand(config, rest);
    case 'webhook':
      return webhookCommand(config, rest);
    default:
      throw unknownCommand(command);
  }
}

async function send(config: RuntimeConfig, args: string[]): Promise<number> {
  const { values } = parse('send', {
    args,
    strict: true,
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
  });
  if (values.batch !== undefined) return sendBatchFile(config, values.batch, values.json, args);
  if (values.subject === undefined) throw new UsageError('send: --subject is required (postroom send --help)');
  const recipients: Record<'to' | 'cc' | 'bcc', ParsedOption[]> = {
    to: parseAddressOption('--to', values.to),
    cc: parseAddressOption('--cc', values.cc),
    bcc: parseAddressOption('--bcc', values.bcc),
  };
  const headers: Record<string, string> = {};
  for (const h of values.header) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`send: --header ${quoteValue(h)}: is not "Name: value"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const attachments = values.attach.map((file) => {
    let content: Buffer;
    try {
      content = fs.readFileSync(file);
    } catch (err) {
      throw new UsageError(`send: --attach ${quoteValue(file)}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
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
  const result = await withPostroom(config, (p) => p.queue.handOver(input, 'cli')).catch((err: unknown) => {
    throw err instanceof EmailInputError ? new EmailInputError(err.errors.map((e) => nameOption(e, recipients, values, attachments))) : err;
  });
  if (values.json) say(JSON.stringify(result));
  else if (result.duplicate) say(`e-mail ${result.id} was already handed over with this idempotency key (${result.status}); nothing new queued`);
  else say(`queued e-mail ${result.id} (${result.status}) ${result.messageId}${values.at !== undefined ? `, scheduled for ${new Date(values.at).toISOString()}` : ''}`);
  return 0;
}

/** send --batch FILE: every other option of send describes one e-mail, which the file does. */
async function sendBatchFile(config: RuntimeConfig, file: string, json: boolean, args: string[]): Promise<number> {
  const others = args.filter((a) => a.startsWith('--') && !['--batch', '--json'].includes(a.split('=')[0] ?? ''));
  if (others.length) throw new UsageError(`send --batch: each line of the file is one e-mail; ${others[0]?.split('=')[0]} is not taken with it`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (err) {
    throw new UsageError(`send --batch ${quoteValue(file)}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const summary = await withPostroom(config, (p) => sendBatch(p, file, 'cli', json ? (r) => say(JSON.stringify(r)) : undefined));
  if (!json) say(formatBatchSummary(file, summary));
  // A refused line is the script's to fix: it must not pass for a clean run.
  return summary.refused.length ? 1 : 0;
}

async function settings(config: RuntimeConfig, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'get': {
      const { values } = parse('settings get', { args: rest, options: { json: { type: 'boolean', default: false } } });
      const view = await withPostroom(config, (p) => p.settings.view());
      say(values.json ? JSON.stringify(view, null, 2) : formatSettings(view));
      return 0;
    }
    case 'set': {
      if (rest.length === 0) throw new UsageError('settings set: give at least one KEY=VALUE (postroom settings set --help)');
      const patch: Record<string, unknown> = {};
      const typed: Record<string, string> = {};
      for (const pair of rest) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new UsageError(`settings set: ${quoteValue(pair)} is not KEY=VALUE`);
        const key = pair.slice(0, i);
        if (!isSettingKey(key)) {
          const guess = closest(key, SETTING_KEYS);
          throw new UsageError(`unknown setting ${key}${guess ? ` — did you mean ${guess}?` : ''} (postroom settings get lists them)`);
        }
        const text = pair.slice(i + 1);
        // A PEM certificate (and key) spans many lines: "-" reads all of standard input; a password is one line.
        const multiline = key === 'clientCertificate' || FIELDS[key].kind === 'pem';
        const value = text === '-' ? (multiline ? fs.readFileSync(0, 'utf8') : readStdinLine()) : text;
        patch[key] = coerceSettingText(key, value);
        typed[key] = text === '-' ? '(standard input)' : text;
      }
      const view = await withPostroom(config, (p) => p.settings.update(patch, actor())).catch((err: unknown) => {
        if (!(err instanceof SettingsValidationError)) throw err;
        // Name what was typed (KEY=VALUE), never a secret's value.
        throw new SettingsValidationError(
          err.errors.map((e) => {
            const secret = isSettingKey(e.key) && SECRET_KEYS.includes(e.key);
            const text = typed[e.key];
            return { key: text === undefined || secret ? e.key : `${e.key}=${quoteValue(text)}`, message: e.message };
          }),
        );
      });
      say(`saved ${Object.keys(patch).join(', ')}`);
      for (const c of view.cleared) say(`note: ${c.message}`);
      for (const p of view.problems) say(`problem: ${p.key}: ${p.message}`);
      return 0;
    }
    case 'preset': {
      const name = rest[0];
      if (!name) throw new UsageError(`settings preset: name one of ${Object.keys(PRESETS).join(', ')}`);
      const view = await withPostroom(config, (p) => p.settings.applyPreset(name, actor()));
      const preset = PRESETS[name];
      say(`applied preset ${name}: ${Object.entries(preset?.values ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
      if (preset) say(`next: ${preset.next}`);
      for (const p of view.problems) say(`problem: ${p.key}: ${p.message}`);
      return 0;
    }
    case 'audit': {
      const { values } = parse('settings audit', { args: rest, options: { limit: { type: 'string', default: '50' } } });
      const entries = await withPostroom(config, (p) => p.settings.audit(positiveInt(values.limit, '--limit')));
      for (const e of entries) {
        const change = e.secret ? '(secret changed)' : `${JSON.stringify(e.oldValue)} -> ${JSON.stringify(e.newValue)}`;
        say(`${e.at}  ${e.actor}  ${e.key}  ${change}`);
      }
      return 0;
    }
    default:
      throw new UsageError(`settings: ${sub ? `unknown subcommand ${quoteValue(sub)}; ` : ''}use get, set, preset or audit (postroom settings --help)`);
  }
}

async function queue(config: RuntimeConfig, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      const { values } = parse('queue list', {
        args: rest,
        options: { status: { type: 'string' }, limit: { type: 'string', default: '50' }, json: { type: 'boolean', default: false } },
      });
      if (values.status !== undefined && !STATUSES.includes(values.status as EmailStatus)) {
        throw new UsageError(`queue list: --status ${quoteValue(values.status)}: must be one of ${STATUSES.join(', ')}`);
      }
      const emails = await withPostroom(config, (p) =>
        p.queue.list({ status: values.status as EmailStatus | undefined, limit: positiveInt(values.limit, '--limit') }),
      );
      if (values.json) say(JSON.stringify(emails, null, 2));
      else if (emails.length === 0) say('no e-mails');
      else for (const e of emails) say(formatEmailLine(e));
      return 0;
    }
    case 'show': {
      const { values, positionals } = parse('queue show', { args: rest, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
      const id = emailId(positionals[0]);
      const detail = await withPostroom(config, (p) => p.queue.show(id));
      say(values.json ? JSON.stringify(detail, null, 2) : formatEmailDetail(detail));
      return 0;
    }
    case 'retry': {
      if (rest[0] !== undefined && !rest[0].startsWith('--')) {
        const id = emailId(rest[0]);
        await withPostroom(config, (p) => p.queue.retry(id));
        say(`e-mail ${id} will be sent again at the next campaign`);
        return 0;
      }
      // Recovery from a bad day: every e-mail of a status changed since a time, audited.
      const { values } = parse('queue retry', { args: rest, options: { status: { type: 'string' }, since: { type: 'string' } } });
      const status = values.status;
      if (status !== 'failed' && status !== 'error' && status !== 'cancelled') {
        throw new UsageError(`queue retry: give an e-mail ID, or --status failed|error|cancelled [--since TIME]${status ? ` (not ${quoteValue(status)})` : ''}`);
      }
      const since = values.since === undefined ? undefined : Date.parse(values.since);
      if (since !== undefined && Number.isNaN(since)) throw new UsageError(`--since ${quoteValue(values.since ?? '')}: not a time (e.g. 2026-12-01T08:00:00Z)`);
      const retried = await withPostroom(config, (p) => p.queue.retryMany({ status, since }, 'cli'));
      say(`${retried} ${status} e-mail${retried === 1 ? '' : 's'} will be sent again at the next campaign`);
      return 0;
    }
    case 'cancel': {
      const id = emailId(rest[0]);
      await withPostroom(config, (p) => p.queue.cancel(id));
      say(`e-mail ${id} cancelled`);
      return 0;
    }
    case 'release-held': {
      const n = await withPostroom(config, (p) => p.queue.releaseHeld());
      say(`${n} held e-mail(s) released`);
      return 0;
    }
    case 'purge': {
      const { values } = parse('queue purge', { args: rest, options: { days: { type: 'string' } } });
      const days = values.days === undefined ? undefined : positiveInt(values.days, '--days');
      const n = await withPostroom(config, (p) => p.queue.purge(days));
      say(`${n} finished e-mail(s) purged`);
      return 0;
    }
    default:
      throw new UsageError(`queue: ${sub ? `unknown subcommand ${quoteValue(sub)}; ` : ''}use list, show, retry, cancel, release-held or purge (postroom queue --help)`);
  }
}

async function status(config: RuntimeConfig, args: string[]): Promise<number> {
  const { values } = parse('status', { args, options: { json: { type: 'boolean', default: false } } });
  const report = await withPostroom(config, async (p) => ({
    counts: await p.queue.counts(),
    problems: (await p.settings.view()).problems,
    instances: await p.dispatcher.status.list(Date.now(), p.dispatcher.aliveWithinMs),
  }));
  if (values.json) say(JSON.stringify(report, null, 2));
  else say(formatStatus(report));
  return 0;
}

async function adminCommand(config: RuntimeConfig, args: string[]): Promise<number> {
  if (args[0] !== 'password') throw new UsageError('admin: use "admin password"');
  if (process.stdin.isTTY) process.stderr.write('New password for admin (input is not hidden; or pipe it in): ');
  const password = readStdinLine();
  await withPostroom(config, async (p) => {
    await p.admins.setPassword(password);
    await p.sessions.destroyAll('admin');
  });
  say('password of admin set; every open session was signed out');
  return 0;
}

async function tokenCommand(config: RuntimeConfig, args: string[]): Promise<number> {
  const [sub, arg] = args;
  switch (sub) {
    case 'create': {
      if (!arg) throw new UsageError('token create: give the token a NAME (the host application it is for)');
      const t = await withPostroom(config, (p) => p.tokens.create(arg, actor()));
      say(t.token);
      console.error(`token ${t.id} "${t.name}" created: this is the only time it is shown; send it as "Authorization: Bearer <token>"`);
      return 0;
    }
    case 'list': {
      const tokens = await withPostroom(config, (p) => p.tokens.list());
      if (tokens.length === 0) say('no tokens');
      for (const t of tokens) {
        say(`${String(t.id).padStart(4)}  ${t.prefix}…  ${t.name}  created ${t.createdAt} by ${t.createdBy}  ${t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`}`);
      }
      return 0;
    }
    case 'revoke': {
      const id = emailId(arg, 'token');
      const ok = await withPostroom(config, (p) => p.tokens.revoke(id));
      if (!ok) throw new UsageError(`no active token ${id}`);
      say(`token ${id} revoked`);
      return 0;
    }
    default:
      throw new UsageError(`token: ${sub ? `unknown subcommand ${quoteValue(sub)}; ` : ''}use create NAME, list or revoke ID (postroom token --help)`);
  }
}

const CLI_VIEWER: WebhookViewer = { kind: 'admin', actor: actor() };

async function webhookCommand(config: RuntimeConfig, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { event: { type: 'string', multiple: true, default: [] }, 'allow-private': { type: 'boolean', default: false }, 'for-token': { type: 'string' } },
      });
      if (positionals.length !== 1) throw new UsageError('webhook add: give the receiver URL (and --event TYPE to limit the events)');
      const input = {
        url: positionals[0],
        ...(values.event.length ? { events: values.event } : {}),
        ...(values['allow-private'] ? { allowPrivateTarget: true } : {}),
        ...(values['for-token'] !== undefined ? { forToken: positiveInt(values['for-token'], '--for-token') } : {}),
      };
      const hook = await withPostroom(config, (p) => p.webhooks.create(input, CLI_VIEWER));
      say(hook.secret);
      console.error(`webhook ${hook.id} added for ${hook.url} (${hook.events.join(', ')}): the secret above is shown only now; check each request's Postroom-Signature with it`);
      return 0;
    }
    case 'list': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
      const hooks = await withPostroom(config, (p) => p.webhooks.list(CLI_VIEWER));
      if (values.json) say(JSON.stringify(hooks, null, 2));
      else if (hooks.length === 0) say('no webhooks');
      else for (const h of hooks) say(formatWebhookLine(h));
      return 0;
    }
    case 'remove': {
      const id = emailId(rest[0], 'webhook');
      await withPostroom(config, (p) => p.webhooks.remove(id, CLI_VIEWER));
      say(`webhook ${id} removed`);
      return 0;
    }
    case 'log': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { limit: { type: 'string', default: '20' } } });
      const id = emailId(positionals[0], 'webhook');
      const log = await withPostroom(config, (p) => p.webhooks.deliveries(id, CLI_VIEWER, positiveInt(values.limit, '--limit')));
      if (log.length === 0) say('no deliveries yet');
      for (const d of log) {
        say(`${d.createdAt}  ${d.eventId}  ${d.type.padEnd(23)} e-mail ${d.emailId}  ${d.status}  attempts ${d.attempts}  last ${d.lastStatus ?? '-'} ${JSON.stringify((d.lastBodyExcerpt ?? '').slice(0, 80))}`);
      }
      return 0;
    }
    default:
      throw new UsageError('webhook: use add URL, list, remove ID or log ID');
  }
}

function formatWebhookLine(h: WebhookInfo): string {
  const state = h.disabledAt ? `DISABLED ${h.disabledAt}: ${h.disabledReason ?? ''}` : h.failingSince ? `failing since ${h.failingSince}` : 'active';
  const where = h.allowPrivateTarget ? `${h.url} (private address allowed)` : h.url;
  return `${String(h.id).padStart(4)}  ${where}  ${h.owner === null ? 'all e-mails' : `e-mails of ${h.owner}`}  [${h.events.join(', ')}]  ${state}`;
}

function emailId(text: string | undefined, what = 'e-mail'): number {
  if (!text || !/^\d+$/.test(text)) throw new UsageError(`give the ${what} ID (a number)${text ? `, not ${quoteValue(text)}` : ''}`);
  return Number(text);
}

function positiveInt(text: string, name: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${name} ${quoteValue(text)}: must be a whole number of at least 1`);
  return Number(text);
}

function readStdinLine(): string {
  return fs.readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
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
    const why = option === 'sender-email' && value !== undefined && /valid e-mail address/.test(e.message) ? ` (${whyInvalid(value)})` : '';
    return { field: value === undefined ? `--${option}` : `--${option} ${quoteValue(value)}`, message: `${e.message}${why}` };
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

/** One line a person can act on; never a stack trace, never a secret. */
export function describeError(err: unknown): { message: string; code: number } {
  // The codes table decides the exit code; every refusal (settings, e-mail, addresses typed) is a PostroomError.
  if (err instanceof PostroomError) return { message: visible(err.publicMessage), code: exitCodeOf(err.code) };
  // Every complaint of node's argument parser (unknown option, missing value, extra argument) is a usage mistake.
  if (err instanceof Error && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_')) {
    return { message: err.message, code: exitCodeOf('usage') };
  }
  return { message: visible(err instanceof Error ? err.message : String(err)), code: 1 };
}
