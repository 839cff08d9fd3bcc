// `postroom queue`: the e-mails in the queue and the administrator's actions on them; the statuses a
// bulk retry takes come from the queue's transition table, so the CLI and the queue cannot disagree.
import type { RuntimeConfig } from '../../config.js';
import type { EmailStatus } from '../../db/index.js';
import { STATUSES, TRANSITIONS, type RetryFilter } from '../../queue/index.js';
import { quoteValue } from '../addresses.js';
import { actor, emailId, parse, positiveInt, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { formatEmailDetail, formatEmailLine, say } from '../format.js';
import { CLI, word } from '../words.js';

/** The statuses `queue retry --status` takes: those the queue's retry verb leaves, nothing else. */
const RETRYABLE: readonly EmailStatus[] = TRANSITIONS.retry.from;
const isRetryable = (status: string | undefined): status is RetryFilter['status'] => RETRYABLE.some((s) => s === status);

const list = {
  help: `Usage: postroom queue list [--status S] [--limit N] [--json]

E-mails newest first. --status: pending, sending, sent, error, failed, held, cancelled or bounced;
--limit (default 50).`,
  options: { status: { type: 'string' }, limit: { type: 'string', default: '50' }, json: { type: 'boolean', default: false } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values } = parse('queue list', { args, options: list.options });
    if (values.status !== undefined && !STATUSES.includes(values.status as EmailStatus)) {
      throw new UsageError(`queue list: --status ${quoteValue(values.status)}: must be one of ${STATUSES.join(', ')}`);
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
  help: `Usage: postroom queue show ID [--json]

One e-mail with each recipient's fate (the relay's answer, then what delivery reports said),
the reports, and every attempt with the server's replies.`,
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
  help: `Usage: postroom queue retry ID
       postroom queue retry --status ${RETRYABLE.join('|')} [--since TIME]

Sends an e-mail again at the next campaign, with a fresh retry window; with --status, every
e-mail of that status changed since TIME (all of them without --since), for a bad day's
failures. Recipients already accepted get no second copy. The bulk retry is audited.`,
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
      throw new UsageError(`queue retry: give an e-mail ID, or --status ${RETRYABLE.join('|')} [--since TIME]${status ? ` (not ${quoteValue(status)})` : ''}`);
    }
    const since = values.since === undefined ? undefined : Date.parse(values.since);
    if (since !== undefined && Number.isNaN(since)) throw new UsageError(`--since ${quoteValue(values.since ?? '')}: not a time (e.g. 2026-12-01T08:00:00Z)`);
    const filter: RetryFilter = { status, since };
    const retried = await withPostroom(config, (p) => p.queue.retryMany(filter, actor()));
    say(word(retried === 1 ? CLI.willBeSentOne : CLI.willBeSentMany, { n: retried, status }));
    return 0;
  },
} satisfies Subcommand;

const cancel = {
  help: `Usage: postroom queue cancel ID

Cancels an e-mail that has not been sent.`,
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const id = emailId(args[0]);
    await withPostroom(config, (p) => p.queue.cancel(id));
    say(word(CLI.cancelled, { id }));
    return 0;
  },
} satisfies Subcommand;

const releaseHeld = {
  help: `Usage: postroom queue release-held

Releases the e-mails held at start-up (skipPendingAtStartup): they are sent at the next campaign.`,
  async run(config: RuntimeConfig): Promise<number> {
    const n = await withPostroom(config, (p) => p.queue.releaseHeld());
    say(word(CLI.released, { n }));
    return 0;
  },
} satisfies Subcommand;

const purge = {
  help: `Usage: postroom queue purge [--days N]

Deletes sent, failed and cancelled e-mails older than N days (default: retentionDays). Waiting
e-mails are never deleted.`,
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
    { usage: 'queue retry ID | queue retry --status failed [--since TIME] | queue cancel ID' },
    { usage: 'queue release-held | queue purge [--days N]' },
  ],
  help: `Usage: postroom queue list [--status S] [--limit N] [--json]
       postroom queue show ID [--json]
       postroom queue retry ID | retry --status S [--since TIME] | cancel ID | release-held | purge [--days N]

The e-mails in the queue and the administrator's actions on them.`,
  subcommands: { list, show, retry, cancel, 'release-held': releaseHeld, purge },
  async run(config, args) {
    const [word, ...rest] = args;
    const sub = subcommandOf(queue, word);
    if (!sub) throw new UsageError(`queue: ${word ? `unknown subcommand ${quoteValue(word)}; ` : ''}use list, show, retry, cancel, release-held or purge (postroom queue --help)`);
    return sub.run(config, rest);
  },
};
