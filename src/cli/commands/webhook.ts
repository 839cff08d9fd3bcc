// `postroom webhook`: receivers that hear of every e-mail (or of one token's), seen by the CLI as
// the administrator; the signing secret is printed once, by add, and never again.
import { parseArgs } from 'node:util';
import type { RuntimeConfig } from '../../config.js';
import type { WebhookInfo, WebhookViewer } from '../../webhooks/index.js';
import { actor, emailId, positiveInt, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { say } from '../format.js';

const CLI_VIEWER: WebhookViewer = { kind: 'admin', actor: actor() };

// The sub-commands' usage and options are explained together in the command's help (below).
const add = {
  options: { event: { type: 'string', multiple: true, default: [] }, 'allow-private': { type: 'boolean', default: false }, 'for-token': { type: 'string' } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: add.options });
    if (positionals.length !== 1) throw new UsageError('webhook add: give the receiver URL (and --event TYPE to limit the events)');
    const input = {
      url: positionals[0],
      ...(values.event.length ? { events: values.event } : {}),
      ...(values['allow-private'] ? { allowPrivateTarget: true } : {}),
      ...(values['for-token'] !== undefined ? { forToken: positiveInt(values['for-token'], '--for-token') } : {}),
    };
    const hook = await withPostroom(config, (p) => p.webhooks.create(input, CLI_VIEWER));
    say(hook.secret);
    // On stderr, so that `webhook add URL > file` captures the secret alone.
    console.error(`webhook ${hook.id} added for ${hook.url} (${hook.events.join(', ')}): the secret above is shown only now; check each request's Postroom-Signature with it`);
    return 0;
  },
} satisfies Subcommand;

const list = {
  options: { json: { type: 'boolean', default: false } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values } = parseArgs({ args, options: list.options });
    const hooks = await withPostroom(config, (p) => p.webhooks.list(CLI_VIEWER));
    if (values.json) say(JSON.stringify(hooks, null, 2));
    else if (hooks.length === 0) say('no webhooks');
    else for (const h of hooks) say(formatWebhookLine(h));
    return 0;
  },
} satisfies Subcommand;

const remove = {
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const id = emailId(args[0], 'webhook');
    await withPostroom(config, (p) => p.webhooks.remove(id, CLI_VIEWER));
    say(`webhook ${id} removed`);
    return 0;
  },
} satisfies Subcommand;

const log = {
  options: { limit: { type: 'string', default: '20' } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: log.options });
    const id = emailId(positionals[0], 'webhook');
    const deliveries = await withPostroom(config, (p) => p.webhooks.deliveries(id, CLI_VIEWER, positiveInt(values.limit, '--limit')));
    if (deliveries.length === 0) say('no deliveries yet');
    for (const d of deliveries) {
      say(`${d.createdAt}  ${d.eventId}  ${d.type.padEnd(23)} e-mail ${d.emailId}  ${d.status}  attempts ${d.attempts}  last ${d.lastStatus ?? '-'} ${JSON.stringify((d.lastBodyExcerpt ?? '').slice(0, 80))}`);
    }
    return 0;
  },
} satisfies Subcommand;

function formatWebhookLine(h: WebhookInfo): string {
  const state = h.disabledAt ? `DISABLED ${h.disabledAt}: ${h.disabledReason ?? ''}` : h.failingSince ? `failing since ${h.failingSince}` : 'active';
  const where = h.allowPrivateTarget ? `${h.url} (private address allowed)` : h.url;
  return `${String(h.id).padStart(4)}  ${where}  ${h.owner === null ? 'all e-mails' : `e-mails of ${h.owner}`}  [${h.events.join(', ')}]  ${state}`;
}

export const webhook: Command = {
  name: 'webhook',
  overview: [
    { usage: 'webhook add URL [--event E]... [--allow-private] [--for-token ID]' },
    { usage: 'webhook list [--json] | webhook remove ID | webhook log ID [--limit N]', summary: "webhooks for every e-mail or a token's (the secret is shown once)" },
  ],
  help: `Usage: postroom webhook add URL [--event E]... [--allow-private] [--for-token ID]
       postroom webhook list [--json] | webhook remove ID | webhook log ID [--limit N]

Webhooks that hear of every e-mail (email.sent, email.failed, email.deferred,
email.recipient_refused, email.cancelled, email.held): each event is POSTed signed with
Postroom-Signature. The signing secret is printed once, by add.
  --allow-private   the URL may be a private or loopback address (a receiver on your network)
  --for-token ID    the webhook belongs to that token: it hears of that token's e-mails only`,
  subcommands: { add, list, remove, log },
  async run(config, args) {
    const [word, ...rest] = args;
    const sub = subcommandOf(webhook, word);
    if (!sub) throw new UsageError('webhook: use add URL, list, remove ID or log ID');
    return sub.run(config, rest);
  },
};
