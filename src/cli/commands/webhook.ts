// `postroom webhook`: receivers that hear of every e-mail (or of one token's), seen by the CLI as
// the administrator; the signing secret is printed once, by add, and never again.
import { parseArgs } from 'node:util';
import type { RuntimeConfig } from '../../config.js';
import type { WebhookInfo, WebhookViewer } from '../../webhooks/index.js';
import { actor, emailId, positiveInt, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { say } from '../format.js';
import { SAID, USAGE, word, worded } from '../words.js';
import { NB } from '../../i18n/index.js';

const CLI_VIEWER: WebhookViewer = { kind: 'admin', actor: actor() };

// The sub-commands' usage and options are explained together in the command's help (below).
const add = {
  options: { event: { type: 'string', multiple: true, default: [] }, 'allow-private': { type: 'boolean', default: false }, 'for-token': { type: 'string' } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: add.options });
    if (positionals.length !== 1) throw new UsageError(word(USAGE.webhookUrl));
    const input = {
      url: positionals[0],
      ...(values.event.length ? { events: values.event } : {}),
      ...(values['allow-private'] ? { allowPrivateTarget: true } : {}),
      ...(values['for-token'] !== undefined ? { forToken: positiveInt(values['for-token'], '--for-token') } : {}),
    };
    const hook = await withPostroom(config, (p) => p.webhooks.create(input, CLI_VIEWER));
    say(hook.secret);
    // On stderr, so that `webhook add URL > file` captures the secret alone.
    console.error(word(SAID.webhookAdded, { id: hook.id, url: hook.url, events: hook.events.join(', ') }));
    return 0;
  },
} satisfies Subcommand;

const list = {
  options: { json: { type: 'boolean', default: false } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values } = parseArgs({ args, options: list.options });
    const hooks = await withPostroom(config, (p) => p.webhooks.list(CLI_VIEWER));
    if (values.json) say(JSON.stringify(hooks, null, 2));
    else if (hooks.length === 0) say(word(SAID.noWebhooks));
    else for (const h of hooks) say(formatWebhookLine(h));
    return 0;
  },
} satisfies Subcommand;

const remove = {
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const id = emailId(args[0], 'webhook');
    await withPostroom(config, (p) => p.webhooks.remove(id, CLI_VIEWER));
    say(word(SAID.webhookRemoved, { id }));
    return 0;
  },
} satisfies Subcommand;

const log = {
  options: { limit: { type: 'string', default: '20' } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: log.options });
    const id = emailId(positionals[0], 'webhook');
    const deliveries = await withPostroom(config, (p) => p.webhooks.deliveries(id, CLI_VIEWER, positiveInt(values.limit, '--limit')));
    if (deliveries.length === 0) say(word(SAID.noDeliveries));
    for (const d of deliveries) {
      const body = JSON.stringify((d.lastBodyExcerpt ?? '').slice(0, 80));
      say(word(SAID.deliveryLine, { at: d.createdAt, event: d.eventId, type: d.type.padEnd(23), email: d.emailId, status: d.status, attempts: d.attempts, last: d.lastStatus ?? '-', body }));
    }
    return 0;
  },
} satisfies Subcommand;

function formatWebhookLine(h: WebhookInfo): string {
  const state = h.disabledAt
    ? word(SAID.webhookDisabled, { at: h.disabledAt, why: worded(h.disabledReason ?? '') })
    : h.failingSince
      ? word(SAID.failingSince, { at: h.failingSince })
      : word(SAID.active);
  const where = h.allowPrivateTarget ? word(SAID.privateAllowed, { url: h.url }) : h.url;
  return `${String(h.id).padStart(4)}  ${where}  ${h.owner === null ? word(SAID.allEmails) : word(SAID.emailsOf, { owner: h.owner })}  [${h.events.join(', ')}]  ${state}`;
}

export const webhook: Command = {
  name: 'webhook',
  overview: [
    { usage: 'webhook add URL [--event E]... [--allow-private] [--for-token ID]' },
    {
      usage: 'webhook list [--json] | webhook remove ID | webhook log ID [--limit N]',
      summary: { en: "webhooks for every e-mail or a token's (the secret is shown once)", fr: 'webhooks pour tous les e-mails ou ceux d’un jeton (le secret est affiché une fois)' },
    },
  ],
  help: {
    en: `Usage: postroom webhook add URL [--event E]... [--allow-private] [--for-token ID]
       postroom webhook list [--json] | webhook remove ID | webhook log ID [--limit N]

Webhooks that hear of every e-mail (email.sent, email.failed, email.deferred,
email.recipient_refused, email.cancelled, email.held): each event is POSTed signed with
Postroom-Signature. The signing secret is printed once, by add.
  --allow-private   the URL may be a private or loopback address (a receiver on your network)
  --for-token ID    the webhook belongs to that token: it hears of that token's e-mails only`,
    fr: `Utilisation${NB}: postroom webhook add URL [--event E]... [--allow-private] [--for-token ID]
             postroom webhook list [--json] | webhook remove ID | webhook log ID [--limit N]

Webhooks informés de chaque e-mail (email.sent, email.failed, email.deferred,
email.recipient_refused, email.cancelled, email.held)${NB}: chaque événement est envoyé par POST,
signé dans l’en-tête Postroom-Signature. Le secret de signature est affiché une seule fois, par add.
  --allow-private   l’URL peut être une adresse privée ou de bouclage (un destinataire sur votre réseau)
  --for-token ID    le webhook appartient à ce jeton${NB}: il n’est informé que des e-mails de ce jeton`,
  },
  subcommands: { add, list, remove, log },
  async run(config, args) {
    const [first, ...rest] = args;
    const sub = subcommandOf(webhook, first);
    if (!sub) throw new UsageError(word(USAGE.webhookUse));
    return sub.run(config, rest);
  },
};
