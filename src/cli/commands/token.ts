// `postroom token`: the API tokens host applications hand e-mails over with; a token is printed
// once, when made (only its hash is stored), and revoked at once.
import type { RuntimeConfig } from '../../config.js';
import { quoteValue } from '../addresses.js';
import { actor, emailId, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { say } from '../format.js';
import { SAID, USAGE, word } from '../words.js';
import { NB } from '../../i18n/index.js';

const create = {
  help: {
    en: `Usage: postroom token create NAME

Makes an API token for the host application NAME and prints it: this is the only time it is shown.`,
    fr: `Utilisation${NB}: postroom token create NOM

Crée un jeton d’API pour l’application hôte NOM et l’affiche${NB}: c’est la seule fois qu’il est affiché.`,
  },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const name = args[0];
    if (!name) throw new UsageError(word(USAGE.tokenName));
    const t = await withPostroom(config, (p) => p.tokens.create(name, actor()));
    say(t.token);
    // On stderr, so that `token create NAME > file` captures the token alone.
    console.error(word(SAID.tokenCreated, { id: t.id, name: t.name }));
    return 0;
  },
} satisfies Subcommand;

const list = {
  help: {
    en: `Usage: postroom token list

Every token: its prefix, name, who made it, when it was last used or revoked.`,
    fr: `Utilisation${NB}: postroom token list

Chaque jeton${NB}: son préfixe, son nom, qui l’a créé, quand il a servi pour la dernière fois ou a été révoqué.`,
  },
  async run(config: RuntimeConfig): Promise<number> {
    const tokens = await withPostroom(config, (p) => p.tokens.list());
    if (tokens.length === 0) say(word(SAID.noTokens));
    for (const t of tokens) {
      const state = t.revokedAt ? word(SAID.revokedAt, { at: t.revokedAt }) : t.lastUsedAt ? word(SAID.lastUsed, { at: t.lastUsedAt }) : word(SAID.lastUsedNever);
      say(word(SAID.tokenLine, { id: String(t.id).padStart(4), prefix: t.prefix, name: t.name, at: t.createdAt, by: t.createdBy, state }));
    }
    return 0;
  },
} satisfies Subcommand;

const revoke = {
  help: {
    en: `Usage: postroom token revoke ID

Revokes a token at once.`,
    fr: `Utilisation${NB}: postroom token revoke ID

Révoque un jeton immédiatement.`,
  },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const id = emailId(args[0], 'token');
    const ok = await withPostroom(config, (p) => p.tokens.revoke(id));
    if (!ok) throw new UsageError(word(USAGE.noToken, { id }));
    say(word(SAID.tokenRevoked, { id }));
    return 0;
  },
} satisfies Subcommand;

export const token: Command = {
  name: 'token',
  overview: [
    {
      usage: { en: 'token create NAME | token list | token revoke ID', fr: 'token create NOM | token list | token revoke ID' },
      summary: { en: 'API tokens for host applications (shown once when made)', fr: 'jetons d’API des applications hôtes (affichés une seule fois, à la création)' },
    },
  ],
  help: {
    en: `Usage: postroom token create NAME | token list | token revoke ID

API tokens for host applications ("Authorization: Bearer <token>").`,
    fr: `Utilisation${NB}: postroom token create NOM | token list | token revoke ID

Jetons d’API des applications hôtes (en-tête «${NB}Authorization: Bearer <jeton>${NB}»).`,
  },
  subcommands: { create, list, revoke },
  async run(config, args) {
    const [first, ...rest] = args;
    const sub = subcommandOf(token, first);
    if (!sub) throw new UsageError(word(USAGE.tokenUse, { unknown: first ? word(USAGE.unknownSub, { typed: quoteValue(first) }) : '' }));
    return sub.run(config, rest);
  },
};
