// `postroom queue`: the e-mails in the queue and the administrator's actions on them; the statuses a
// bulk retry takes come from the queue's transition table, so the CLI and the queue cannot disagree.
import type { RuntimeConfig } from '../../config.js';
import type { EmailStatus } from '../../db/index.js';
import { STATUSES, TRANSITIONS, type RetryFilter } from '../../queue/index.js';
import { quoteValue } from '../addresses.js';
import { actor, emailId, parse, positiveInt, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { formatEmailDetail, formatEmailLine, say } from '../format.js';
import { CLI, USAGE, word } from '../words.js';
import { NB } from '../../i18n/index.js';

/** The statuses `queue retry --status` takes: those the queue's retry verb leaves, nothing else. */
const RETRYABLE: readonly EmailStatus[] = TRANSITIONS.retry.from;
const isRetryable = (status: string | undefined): status is RetryFilter['status'] => RETRYABLE.some((s) => s === status);

const list = {
  help: {
    en: `Usage: postroom queue list [--status S] [--limit N] [--json]

E-mails newest first. --status: pending, sending, sent, error, failed, held, cancelled or bounced;
--limit (default 50).`,
    fr: `Utilisation${NB}: postroom queue list [--status S] [--limit N] [--json]

Les e-mails, du plus récent au plus ancien. --status${NB}: pending, sending, sent, error, failed, held,
cancelled ou bounced${NB}; --limit (50 par défaut).`,
  },
  options: { status: { type: 'string' }, limit: { type: 'string', default: '50' }, json: { type: 'boolean', default: false } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values } = parse('queue list', { args, options: list.options });
    if (values.status !== undefined && !STATUSES.includes(values.status as EmailStatus)) {
      throw new UsageError(word(USAGE.listStatus, { typed: quoteValue(values.status), statuses: STATUSES.join(', ') }));
    }
    const emails = await withPostroom(config, (p) =>
      p.queue.list({ status: values.status as EmailStatus | undefined, limit: positiveInt(values.limit, '--limit') }),
    );
    if (values.json) say(JSON.stringify(emails, null, 2));
    else if (emails.length === 0) say(word(CLI.noEmails));
    else for (const e of emails) say(formatEmailLine(e));
    return 0;
  },
} satisfies Subcommand;

const show = {
  help: {
    en: `Usage: postroom queue show ID [--json]

One e-mail with each recipient's fate (the relay's answer, then what delivery reports said),
the reports, and every attempt with the server's replies.`,
    fr: `Utilisation${NB}: postroom queue show ID [--json]

Un e-mail avec le sort de chaque destinataire (la réponse du relais, puis ce qu’en disent les rapports
de remise), les rapports, et chaque tentative avec les réponses du serveur.`,
  },
  options: { json: { type: 'boolean', default: false } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values, positionals } = parse('queue show', { args, allowPositionals: true, options: show.options });
    const id = emailId(positionals[0]);
    // With why it waits, as the e-mail page and the API say it.
    const detail = await withPostroom(config, async (p) => {
      const email = await p.queue.show(id);
      return { ...email, waitingReason: await p.whyWaiting(email) };
    });
    say(values.json ? JSON.stringify(detail, null, 2) : formatEmailDetail(detail));
    return 0;
  },
} satisfies Subcommand;

const retry = {
  help: {
    en: `Usage: postroom queue retry ID
       postroom queue retry --status ${RETRYABLE.join('|')} [--since TIME]

Sends an e-mail again at the next campaign, with a fresh retry window; with --status, every
e-mail of that status changed since TIME (all of them without --since), for a bad day's
failures. Recipients already accepted get no second copy. The bulk retry is audited.`,
    fr: `Utilisation${NB}: postroom queue retry ID
             postroom queue retry --status ${RETRYABLE.join('|')} [--since DATE]

Renvoie un e-mail à la prochaine campagne d’envoi, avec un nouveau délai de nouvelles tentatives${NB};
avec --status, tous les e-mails de ce statut modifiés depuis DATE (tous sans --since), pour les
échecs d’une mauvaise journée. Les destinataires déjà acceptés ne reçoivent pas de second
exemplaire. Le renvoi groupé est consigné dans l’audit.`,
  },
  options: { status: { type: 'string' }, since: { type: 'string' } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    if (args[0] !== undefined && !args[0].startsWith('--')) {
      const id = emailId(args[0]);
      await withPostroom(config, (p) => p.queue.retry(id));
      say(word(CLI.willBeSent, { id }));
      return 0;
    }
    // Recovery from a bad day: every e-mail of a status changed since a time, audited.
    const { values } = parse('queue retry', { args, options: retry.options });
    const status = values.status;
    if (!isRetryable(status)) {
      throw new UsageError(word(USAGE.retryWhat, { statuses: RETRYABLE.join('|'), not: status ? word(USAGE.notStatus, { typed: quoteValue(status) }) : '' }));
    }
    const since = values.since === undefined ? undefined : Date.parse(values.since);
    if (since !== undefined && Number.isNaN(since)) throw new UsageError(word(USAGE.sinceNotTime, { typed: quoteValue(values.since ?? '') }));
    const filter: RetryFilter = { status, since };
    const retried = await withPostroom(config, (p) => p.queue.retryMany(filter, actor()));
    say(word(retried === 1 ? CLI.willBeSentOne : CLI.willBeSentMany, { n: retried, status }));
    return 0;
  },
} satisfies Subcommand;

const cancel = {
  help: {
    en: `Usage: postroom queue cancel ID

Cancels an e-mail that has not been sent.`,
    fr: `Utilisation${NB}: postroom queue cancel ID

Annule un e-mail qui n’a pas été envoyé.`,
  },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const id = emailId(args[0]);
    await withPostroom(config, (p) => p.queue.cancel(id));
    say(word(CLI.cancelled, { id }));
    return 0;
  },
} satisfies Subcommand;

const releaseHeld = {
  help: {
    en: `Usage: postroom queue release-held

Releases the e-mails held at start-up (skipPendingAtStartup): they are sent at the next campaign.`,
    fr: `Utilisation${NB}: postroom queue release-held

Libère les e-mails retenus au démarrage (skipPendingAtStartup)${NB}: ils partent à la prochaine
campagne d’envoi.`,
  },
  async run(config: RuntimeConfig): Promise<number> {
    const n = await withPostroom(config, (p) => p.queue.releaseHeld());
    say(word(CLI.released, { n }));
    return 0;
  },
} satisfies Subcommand;

const purge = {
  help: {
    en: `Usage: postroom queue purge [--days N]

Deletes sent, failed and cancelled e-mails older than N days (default: retentionDays). Waiting
e-mails are never deleted.`,
    fr: `Utilisation${NB}: postroom queue purge [--days N]

Supprime les e-mails envoyés (sent), en échec (failed) et annulés (cancelled) de plus de N${NB}jours
(par défaut${NB}: retentionDays). Les e-mails en attente ne sont jamais supprimés.`,
  },
  options: { days: { type: 'string' } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values } = parse('queue purge', { args, options: purge.options });
    const days = values.days === undefined ? undefined : positiveInt(values.days, '--days');
    const n = await withPostroom(config, (p) => p.queue.purge(days));
    say(word(CLI.purged, { n }));
    return 0;
  },
} satisfies Subcommand;

export const queue: Command = {
  name: 'queue',
  overview: [
    { usage: 'queue list [--status S] [--limit N] [--json]' },
    { usage: 'queue show ID [--json]' },
    { usage: { en: 'queue retry ID | queue retry --status failed [--since TIME] | queue cancel ID', fr: 'queue retry ID | queue retry --status failed [--since DATE] | queue cancel ID' } },
    { usage: 'queue release-held | queue purge [--days N]' },
  ],
  help: {
    en: `Usage: postroom queue list [--status S] [--limit N] [--json]
       postroom queue show ID [--json]
       postroom queue retry ID | retry --status S [--since TIME] | cancel ID | release-held | purge [--days N]

The e-mails in the queue and the administrator's actions on them.`,
    fr: `Utilisation${NB}: postroom queue list [--status S] [--limit N] [--json]
             postroom queue show ID [--json]
             postroom queue retry ID | retry --status S [--since DATE] | cancel ID | release-held | purge [--days N]

Les e-mails de la file d’attente et ce que l’administrateur peut en faire.`,
  },
  subcommands: { list, show, retry, cancel, 'release-held': releaseHeld, purge },
  async run(config, args) {
    const [first, ...rest] = args;
    const sub = subcommandOf(queue, first);
    if (!sub) throw new UsageError(word(USAGE.queueUse, { unknown: first ? word(USAGE.unknownSub, { typed: quoteValue(first) }) : '' }));
    return sub.run(config, rest);
  },
};
