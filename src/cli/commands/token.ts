// `postroom token`: the API tokens host applications hand e-mails over with; a token is printed
// once, when made (only its hash is stored), and revoked at once.
import type { RuntimeConfig } from '../../config.js';
import { quoteValue } from '../addresses.js';
import { actor, emailId, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { say } from '../format.js';

const create = {
  help: `Usage: postroom token create NAME

Makes an API token for the host application NAME and prints it: this is the only time it is shown.`,
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const name = args[0];
    if (!name) throw new UsageError('token create: give the token a NAME (the host application it is for)');
    const t = await withPostroom(config, (p) => p.tokens.create(name, actor()));
    say(t.token);
    // On stderr, so that `token create NAME > file` captures the token alone.
    console.error(`token ${t.id} "${t.name}" created: this is the only time it is shown; send it as "Authorization: Bearer <token>"`);
    return 0;
  },
} satisfies Subcommand;

const list = {
  help: `Usage: postroom token list

Every token: its prefix, name, who made it, when it was last used or revoked.`,
  async run(config: RuntimeConfig): Promise<number> {
    const tokens = await withPostroom(config, (p) => p.tokens.list());
    if (tokens.length === 0) say('no tokens');
    for (const t of tokens) {
      say(`${String(t.id).padStart(4)}  ${t.prefix}…  ${t.name}  created ${t.createdAt} by ${t.createdBy}  ${t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`}`);
    }
    return 0;
  },
} satisfies Subcommand;

const revoke = {
  help: `Usage: postroom token revoke ID

Revokes a token at once.`,
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const id = emailId(args[0], 'token');
    const ok = await withPostroom(config, (p) => p.tokens.revoke(id));
    if (!ok) throw new UsageError(`no active token ${id}`);
    say(`token ${id} revoked`);
    return 0;
  },
} satisfies Subcommand;

export const token: Command = {
  name: 'token',
  overview: [{ usage: 'token create NAME | token list | token revoke ID', summary: 'API tokens for host applications (shown once when made)' }],
  help: `Usage: postroom token create NAME | token list | token revoke ID

API tokens for host applications ("Authorization: Bearer <token>").`,
  subcommands: { create, list, revoke },
  async run(config, args) {
    const [word, ...rest] = args;
    const sub = subcommandOf(token, word);
    if (!sub) throw new UsageError(`token: ${word ? `unknown subcommand ${quoteValue(word)}; ` : ''}use create NAME, list or revoke ID (postroom token --help)`);
    return sub.run(config, rest);
  },
};
