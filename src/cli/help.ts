// The help of every `postroom` command: `postroom CMD --help`, `postroom help CMD [SUB]`, and the
// overview. One entry per command path; the longest path a command line starts with answers.
import { PRESETS } from '../settings/index.js';

const OVERVIEW = `Usage: postroom <command> [options]      (postroom help <command> for one command)

  serve                                  run the HTTP API, the console and the sending process
  send --to A [--to B]... --subject S (--text T | --html H) [options]
                                         hand an e-mail over to the queue
  send --batch FILE.jsonl                hand over one e-mail a line (a month-end run)
  status [--json]                        is mail moving? queue counts, sending processes, last campaign
  settings get [--json]                  show Configuration > Email and its problems
  settings set KEY=VALUE...              change settings (VALUE "-" reads it from standard input)
  settings preset NAME                   apply ${Object.keys(PRESETS).join(' | ')}
  settings audit [--limit N]             who changed which setting when
  queue list [--status S] [--limit N] [--json]
  queue show ID [--json]
  queue retry ID | queue retry --status failed [--since TIME] | queue cancel ID
  queue release-held | queue purge [--days N]
  admin password                         set the administrator's password (read from standard input)
  token create NAME | token list | token revoke ID
                                         API tokens for host applications (shown once when made)
  webhook add URL [--event E]... [--allow-private] [--for-token ID]
  webhook list [--json] | webhook remove ID | webhook log ID [--limit N]
                                         webhooks for every e-mail or a token's (the secret is shown once)

Environment: POSTROOM_DATA_DIR (./data), POSTROOM_DATABASE_URL (postgres://…), POSTROOM_MASTER_KEY,
POSTROOM_LOG_LEVEL. See README.md.`;

const ADDRESS_FORMS = `Addresses: alice@example.org, "Alice <alice@example.org>", "Doe, John" <john@example.org>,
or several in one value separated by commas: --to "alice@example.org, bob@example.org".`;

const HELP: Record<string, string> = {
  serve: `Usage: postroom serve

Runs the HTTP API and the administration console (POSTROOM_HOST:POSTROOM_PORT, default
127.0.0.1:8030) and the sending process, until SIGTERM or SIGINT. On the first start it prints
the one-time link where the admin password is chosen.`,
  send: `Usage: postroom send --to A [--to B]... [--cc C]... [--bcc D]... --subject S (--text T | --html H)
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
  --json                  print the result as JSON (with --batch: one result a line)

${ADDRESS_FORMS}`,
  status: `Usage: postroom status [--json]

Is mail moving? The e-mails by status, the configuration's problems, and each running sending
process with the outcome of its last campaign.`,
  settings: `Usage: postroom settings get [--json]
       postroom settings set KEY=VALUE...
       postroom settings preset NAME
       postroom settings audit [--limit N]

Configuration > Email. postroom settings get lists every KEY; postroom help settings set.`,
  'settings get': `Usage: postroom settings get [--json]

Shows every setting (secrets only as set or not set), warnings, and why the configuration is
incomplete, if it is.`,
  'settings set': `Usage: postroom settings set KEY=VALUE...

Changes one or more settings at once; if any value is refused, nothing is saved. Keys are those
of postroom settings get (smtpHost, smtpPort, postmaster, enabled…). VALUE "-" reads the value
from standard input (for a password or a client secret, so it stays out of your shell history;
for a PEM certificate, use -  < ca.pem). Booleans: true/false, yes/no, on/off, 1/0.

Example: postroom settings set smtpHost=smtp.example.com smtpPort=587 postmaster=noreply@example.com`,
  'settings preset': `Usage: postroom settings preset NAME

Applies the values of a setup guide in one audited change; never touches secrets or addresses.
NAME: ${Object.keys(PRESETS).join(', ')}.`,
  'settings audit': `Usage: postroom settings audit [--limit N]

Who changed which setting when, newest first (default 50 entries). Secrets show only that they changed.`,
  queue: `Usage: postroom queue list [--status S] [--limit N] [--json]
       postroom queue show ID [--json]
       postroom queue retry ID | retry --status S [--since TIME] | cancel ID | release-held | purge [--days N]

The e-mails in the queue and the administrator's actions on them.`,
  'queue list': `Usage: postroom queue list [--status S] [--limit N] [--json]

E-mails newest first. --status: pending, sending, sent, error, failed, held, cancelled or bounced;
--limit (default 50).`,
  'queue show': `Usage: postroom queue show ID [--json]

One e-mail with each recipient's fate (the relay's answer, then what delivery reports said),
the reports, and every attempt with the server's replies.`,
  'queue retry': `Usage: postroom queue retry ID
       postroom queue retry --status failed|error|cancelled [--since TIME]

Sends an e-mail again at the next campaign, with a fresh retry window; with --status, every
e-mail of that status changed since TIME (all of them without --since), for a bad day's
failures. Recipients already accepted get no second copy. The bulk retry is audited.`,
  'queue cancel': `Usage: postroom queue cancel ID

Cancels an e-mail that has not been sent.`,
  'queue release-held': `Usage: postroom queue release-held

Releases the e-mails held at start-up (skipPendingAtStartup): they are sent at the next campaign.`,
  'queue purge': `Usage: postroom queue purge [--days N]

Deletes sent, failed and cancelled e-mails older than N days (default: retentionDays). Waiting
e-mails are never deleted.`,
  admin: `Usage: postroom admin password

Sets the administrator's password, read from standard input (at least 12 characters), and signs
out every open session.`,
  'admin password': `Usage: postroom admin password

Sets the administrator's password, read from standard input (at least 12 characters), and signs
out every open session.  Example: postroom admin password < password.txt`,
  token: `Usage: postroom token create NAME | token list | token revoke ID

API tokens for host applications ("Authorization: Bearer <token>").`,
  'token create': `Usage: postroom token create NAME

Makes an API token for the host application NAME and prints it: this is the only time it is shown.`,
  'token list': `Usage: postroom token list

Every token: its prefix, name, who made it, when it was last used or revoked.`,
  'token revoke': `Usage: postroom token revoke ID

Revokes a token at once.`,
  webhook: `Usage: postroom webhook add URL [--event E]... [--allow-private] [--for-token ID]
       postroom webhook list [--json] | webhook remove ID | webhook log ID [--limit N]

Webhooks that hear of every e-mail (email.sent, email.failed, email.deferred,
email.recipient_refused, email.cancelled, email.held): each event is POSTed signed with
Postroom-Signature. The signing secret is printed once, by add.
  --allow-private   the URL may be a private or loopback address (a receiver on your network)
  --for-token ID    the webhook belongs to that token: it hears of that token's e-mails only`,
  help: `Usage: postroom help [COMMAND [SUBCOMMAND]]

Shows the help of a command, or the list of commands.`,
};

export const COMMANDS = ['serve', 'send', 'status', 'settings', 'queue', 'admin', 'token', 'webhook', 'help'] as const;

/** The help for the longest command path the words start with; the overview for none. */
export function helpFor(words: string[]): string | null {
  if (words.length === 0) return OVERVIEW;
  for (let n = Math.min(words.length, 2); n > 0; n--) {
    const text = HELP[words.slice(0, n).join(' ')];
    if (text) return text;
  }
  return null;
}

export const overview = (): string => OVERVIEW;
