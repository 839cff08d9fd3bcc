// `postroom admin password`: the administrator's password set from a terminal (read from standard
// input, so it stays out of the shell's history), and every open session signed out with it.
import type { RuntimeConfig } from '../../config.js';
import { readStdinLine, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { say } from '../format.js';
import { SAID, USAGE, word } from '../words.js';
import { NB } from '../../i18n/index.js';

const password = {
  help: {
    en: `Usage: postroom admin password

Sets the administrator's password, read from standard input (at least 12 characters), and signs
out every open session.  Example: postroom admin password < password.txt`,
    fr: `Utilisation${NB}: postroom admin password

Définit le mot de passe de l’administrateur, lu sur l’entrée standard (au moins 12${NB}caractères), et
ferme toutes les sessions ouvertes.  Exemple${NB}: postroom admin password < mot-de-passe.txt`,
  },
  async run(config: RuntimeConfig): Promise<number> {
    if (process.stdin.isTTY) process.stderr.write(word(SAID.passwordPrompt));
    const text = readStdinLine();
    await withPostroom(config, async (p) => {
      await p.admins.setPassword(text);
      await p.sessions.destroyAll('admin');
    });
    say(word(SAID.passwordSet));
    return 0;
  },
} satisfies Subcommand;

export const admin: Command = {
  name: 'admin',
  overview: [{ usage: 'admin password', summary: { en: "set the administrator's password (read from standard input)", fr: 'définit le mot de passe de l’administrateur (lu sur l’entrée standard)' } }],
  help: {
    en: `Usage: postroom admin password

Sets the administrator's password, read from standard input (at least 12 characters), and signs
out every open session.`,
    fr: `Utilisation${NB}: postroom admin password

Définit le mot de passe de l’administrateur, lu sur l’entrée standard (au moins 12${NB}caractères), et
ferme toutes les sessions ouvertes.`,
  },
  subcommands: { password },
  async run(config, args) {
    const [first, ...rest] = args;
    const sub = subcommandOf(admin, first);
    if (!sub) throw new UsageError(word(USAGE.adminUse));
    return sub.run(config, rest);
  },
};
