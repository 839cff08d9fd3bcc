// `postroom`: serve, send, settings, queue. Each command opens Postroom on the configured
// database, does one thing, and exits non-zero with a one-line reason when it cannot.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { openPostroom, type Postroom } from '../app.js';
import { readConfig, type RuntimeConfig } from '../config.js';
import { STATUSES } from '../queue/index.js';
import { PRESETS, coerceSettingText } from '../settings/index.js';
import type { EmailStatus } from '../db/index.js';
import { exitCodeOf, PostroomError } from '../errors.js';
import { formatEmailDetail, formatEmailLine, formatSettings, formatStatus } from './format.js';
import { serve } from './serve.js';
import type { WebhookInfo, WebhookViewer } from '../webhooks/index.js';

const USAGE = `Usage: postroom <command>

  serve                                  run the HTTP API and the sending process
  send --to A [--to B] [--cc C] [--bcc D] --subject S (--text T | --html H)
       [--attach FILE]... [--sender-email E [--sender-name N]] [--header "Name: value"]...
       [--idempotency-key K] [--at ISO-TIME]
                                         hand an e-mail over to the queue (--at: not before then)
  status [--json]                        is mail moving? queue counts, sending processes, last campaign
  settings get [--json]                  show Configuration > Email and its problems
  settings set KEY=VALUE...              change settings (VALUE "-" reads it from standard input)
  settings preset NAME                   apply ${Object.keys(PRESETS).join(' | ')}
  settings audit [--limit N]             who changed which setting when
  queue list [--status S] [--limit N] [--json]
  queue show ID [--json]
  queue retry ID | queue cancel ID | queue release-held | queue purge [--days N]
  admin password                         set the administrator's password (read from standard input)
  token create NAME | token list | token revoke ID
                                         API tokens for host applications (shown once when made)
  webhook add URL [--event E]... | webhook list [--json] | webhook remove ID | webhook log ID [--limit N]
                                         webhooks for every e-mail (the secret is shown once)

Environment: POSTROOM_DATA_DIR (./data), POSTROOM_DATABASE_URL (postgres://…), POSTROOM_MASTER_KEY,
POSTROOM_LOG_LEVEL. See README.md.`;

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

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = readConfig();
  switch (command) {
    case 'serve':
      return serve(config);
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
      throw new UsageError(`unknown command "${command}" (try: postroom help)`);
  }
}

async function send(config: RuntimeConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
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
    },
  });
  if (values.subject === undefined) throw new UsageError('send: --subject is required');
  const headers: Record<string, string> = {};
  for (const h of values.header) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`send: --header "${h}" is not "Name: value"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const attachments = values.attach.map((file) => {
    let content: Buffer;
    try {
      content = fs.readFileSync(file);
    } catch (err) {
      throw new UsageError(`send: cannot read attachment ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return { filename: path.basename(file), contentType: contentTypeOf(file), contentBase64: content.toString('base64') };
  });
  const input = {
    to: values.to,
    cc: values.cc,
    bcc: values.bcc,
    subject: values.subject,
    ...(values.text !== undefined ? { text: values.text } : {}),
    ...(values.html !== undefined ? { html: values.html } : {}),
    ...(attachments.length ? { attachments } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(values['sender-email'] ? { sender: { email: values['sender-email'], ...(values['sender-name'] ? { name: values['sender-name'] } : {}) } } : {}),
    ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}),
    ...(values.at !== undefined ? { sendAt: values.at } : {}),
  };
  const result = await withPostroom(config, (p) => p.queue.handOver(input, 'cli'));
  if (values.json) console.log(JSON.stringify(result));
  else if (result.duplicate) console.log(`e-mail ${result.id} was already handed over with this idempotency key (${result.status}); nothing new queued`);
  else console.log(`queued e-mail ${result.id} (${result.status}) ${result.messageId}${values.at !== undefined ? `, scheduled for ${new Date(values.at).toISOString()}` : ''}`);
  return 0;
}

async function settings(config: RuntimeConfig, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'get': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
      const view = await withPostroom(config, (p) => p.settings.view());
      console.log(values.json ? JSON.stringify(view, null, 2) : formatSettings(view));
      return 0;
    }
    case 'set': {
      if (rest.length === 0) throw new UsageError('settings set: give at least one KEY=VALUE');
      const patch: Record<string, unknown> = {};
      for (const pair of rest) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new UsageError(`settings set: "${pair.split('=')[0]}" is not KEY=VALUE`);
        const key = pair.slice(0, i);
        const text = pair.slice(i + 1);
        // A PEM certificate and key span many lines: all of standard input; a password is one line.
        patch[key] = coerceSettingText(key, text === '-' ? (key === 'clientCertificate' ? fs.readFileSync(0, 'utf8') : readStdinLine()) : text);
      }
      const view = await withPostroom(config, (p) => p.settings.update(patch, actor()));
      console.log(`saved ${Object.keys(patch).join(', ')}`);
      for (const c of view.cleared) console.log(`note: ${c.message}`);
      for (const p of view.problems) console.log(`problem: ${p.key}: ${p.message}`);
      return 0;
    }
    case 'preset': {
      const name = rest[0];
      if (!name) throw new UsageError(`settings preset: name one of ${Object.keys(PRESETS).join(', ')}`);
      const view = await withPostroom(config, (p) => p.settings.applyPreset(name, actor()));
      const preset = PRESETS[name];
      console.log(`applied preset ${name}: ${Object.entries(preset?.values ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
      if (preset) console.log(`next: ${preset.next}`);
      for (const p of view.problems) console.log(`problem: ${p.key}: ${p.message}`);
      return 0;
    }
    case 'audit': {
      const { values } = parseArgs({ args: rest, options: { limit: { type: 'string', default: '50' } } });
      const entries = await withPostroom(config, (p) => p.settings.audit(positiveInt(values.limit, '--limit')));
      for (const e of entries) {
        const change = e.secret ? '(secret changed)' : `${JSON.stringify(e.oldValue)} -> ${JSON.stringify(e.newValue)}`;
        console.log(`${e.at}  ${e.actor}  ${e.key}  ${change}`);
      }
      return 0;
    }
    default:
      throw new UsageError('settings: use get, set, preset or audit');
  }
}

async function queue(config: RuntimeConfig, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      const { values } = parseArgs({
        args: rest,
        options: { status: { type: 'string' }, limit: { type: 'string', default: '50' }, json: { type: 'boolean', default: false } },
      });
      if (values.status !== undefined && !STATUSES.includes(values.status as EmailStatus)) {
        throw new UsageError(`queue list: --status must be one of ${STATUSES.join(', ')}`);
      }
      const emails = await withPostroom(config, (p) =>
        p.queue.list({ status: values.status as EmailStatus | undefined, limit: positiveInt(values.limit, '--limit') }),
      );
      if (values.json) console.log(JSON.stringify(emails, null, 2));
      else if (emails.length === 0) console.log('no e-mails');
      else for (const e of emails) console.log(formatEmailLine(e));
      return 0;
    }
    case 'show': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
      const id = emailId(positionals[0]);
      const detail = await withPostroom(config, (p) => p.queue.show(id));
      console.log(values.json ? JSON.stringify(detail, null, 2) : formatEmailDetail(detail));
      return 0;
    }
    case 'retry': {
      const id = emailId(rest[0]);
      await withPostroom(config, (p) => p.queue.retry(id));
      console.log(`e-mail ${id} will be sent again at the next campaign`);
      return 0;
    }
    case 'cancel': {
      const id = emailId(rest[0]);
      await withPostroom(config, (p) => p.queue.cancel(id));
      console.log(`e-mail ${id} cancelled`);
      return 0;
    }
    case 'release-held': {
      const n = await withPostroom(config, (p) => p.queue.releaseHeld());
      console.log(`${n} held e-mail(s) released`);
      return 0;
    }
    case 'purge': {
      const { values } = parseArgs({ args: rest, options: { days: { type: 'string' } } });
      const days = values.days === undefined ? undefined : positiveInt(values.days, '--days');
      const n = await withPostroom(config, (p) => p.queue.purge(days));
      console.log(`${n} finished e-mail(s) purged`);
      return 0;
    }
    default:
      throw new UsageError('queue: use list, show, retry, cancel, release-held or purge');
  }
}

async function status(config: RuntimeConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
  const report = await withPostroom(config, async (p) => ({
    counts: await p.queue.counts(),
    problems: (await p.settings.view()).problems,
    instances: await p.dispatcher.status.list(Date.now(), p.dispatcher.aliveWithinMs),
  }));
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatStatus(report));
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
  console.log('password of admin set; every open session was signed out');
  return 0;
}

async function tokenCommand(config: RuntimeConfig, args: string[]): Promise<number> {
  const [sub, arg] = args;
  switch (sub) {
    case 'create': {
      if (!arg) throw new UsageError('token create: give the token a NAME (the host application it is for)');
      const t = await withPostroom(config, (p) => p.tokens.create(arg, actor()));
      console.log(t.token);
      console.error(`token ${t.id} "${t.name}" created: this is the only time it is shown; send it as "Authorization: Bearer <token>"`);
      return 0;
    }
    case 'list': {
      const tokens = await withPostroom(config, (p) => p.tokens.list());
      if (tokens.length === 0) console.log('no tokens');
      for (const t of tokens) {
        console.log(`${String(t.id).padStart(4)}  ${t.prefix}…  ${t.name}  created ${t.createdAt} by ${t.createdBy}  ${t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`}`);
      }
      return 0;
    }
    case 'revoke': {
      const id = emailId(arg, 'token');
      const ok = await withPostroom(config, (p) => p.tokens.revoke(id));
      if (!ok) throw new UsageError(`no active token ${id}`);
      console.log(`token ${id} revoked`);
      return 0;
    }
    default:
      throw new UsageError('token: use create NAME, list or revoke ID');
  }
}

const CLI_VIEWER: WebhookViewer = { kind: 'admin', actor: actor() };

async function webhookCommand(config: RuntimeConfig, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { event: { type: 'string', multiple: true, default: [] } } });
      if (positionals.length !== 1) throw new UsageError('webhook add: give the receiver URL (and --event TYPE to limit the events)');
      const input = { url: positionals[0], ...(values.event.length ? { events: values.event } : {}) };
      const hook = await withPostroom(config, (p) => p.webhooks.create(input, CLI_VIEWER));
      console.log(hook.secret);
      console.error(`webhook ${hook.id} added for ${hook.url} (${hook.events.join(', ')}): the secret above is shown only now; check each request's Postroom-Signature with it`);
      return 0;
    }
    case 'list': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
      const hooks = await withPostroom(config, (p) => p.webhooks.list(CLI_VIEWER));
      if (values.json) console.log(JSON.stringify(hooks, null, 2));
      else if (hooks.length === 0) console.log('no webhooks');
      else for (const h of hooks) console.log(formatWebhookLine(h));
      return 0;
    }
    case 'remove': {
      const id = emailId(rest[0], 'webhook');
      await withPostroom(config, (p) => p.webhooks.remove(id, CLI_VIEWER));
      console.log(`webhook ${id} removed`);
      return 0;
    }
    case 'log': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { limit: { type: 'string', default: '20' } } });
      const id = emailId(positionals[0], 'webhook');
      const log = await withPostroom(config, (p) => p.webhooks.deliveries(id, CLI_VIEWER, positiveInt(values.limit, '--limit')));
      if (log.length === 0) console.log('no deliveries yet');
      for (const d of log) {
        console.log(`${d.createdAt}  ${d.eventId}  ${d.type.padEnd(23)} e-mail ${d.emailId}  ${d.status}  attempts ${d.attempts}  last ${d.lastStatus ?? '-'} ${JSON.stringify((d.lastBodyExcerpt ?? '').slice(0, 80))}`);
      }
      return 0;
    }
    default:
      throw new UsageError('webhook: use add URL, list, remove ID or log ID');
  }
}

function formatWebhookLine(h: WebhookInfo): string {
  const state = h.disabledAt ? `DISABLED ${h.disabledAt}: ${h.disabledReason ?? ''}` : h.failingSince ? `failing since ${h.failingSince}` : 'active';
  return `${String(h.id).padStart(4)}  ${h.url}  ${h.scope === 'all' ? 'all e-mails' : `e-mails of ${h.createdBy}`}  [${h.events.join(', ')}]  ${state}`;
}

function emailId(text: string | undefined, what = 'e-mail'): number {
  if (!text || !/^\d+$/.test(text)) throw new UsageError(`give the ${what} ID (a number)`);
  return Number(text);
}

function positiveInt(text: string, name: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${name} must be a whole number of at least 1`);
  return Number(text);
}

function readStdinLine(): string {
  return fs.readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
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
  if (err instanceof PostroomError) return { message: err.publicMessage, code: exitCodeOf(err.code) };
  // Every complaint of node's argument parser (unknown option, missing value, extra argument) is a usage mistake.
  if (err instanceof Error && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_')) {
    return { message: err.message, code: exitCodeOf('usage') };
  }
  return { message: err instanceof Error ? err.message : String(err), code: 1 };
}
