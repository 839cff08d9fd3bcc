// `postroom admin password`: the administrator's password set from a terminal (read from standard
// input, so it stays out of the shell's history), and every open session signed out with it.
import type { RuntimeConfig } from '../../config.js';
import { readStdinLine, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { say } from '../format.js';

const password = {
  help: `Usage: postroom admin password

Sets the administrator's password, read from standard input (at least 12 characters), and signs
out every open session.  Example: postroom admin password < password.txt`,
  async run(config: RuntimeConfig): Promise<number> {
    if (process.stdin.isTTY) process.stderr.write('New password for admin (input is not hidden; or pipe it in): ');
    const text = readStdinLine();
    await withPostroom(config, async (p) => {
      await p.admins.setPassword(text);
      await p.sessions.destroyAll('admin');
    });
    say('password of admin set; every open session was signed out');
    return 0;
  },
} satisfies Subcommand;

export const admin: Command = {
  name: 'admin',
  overview: [{ usage: 'admin password', summary: "set the administrator's password (read from standard input)" }],
  help: `Usage: postroom admin password

Sets the administrator's password, read from standard input (at least 12 characters), and signs
out every open session.`,
  subcommands: { password },
  async run(config, args) {
    const [word, ...rest] = args;
    const sub = subcommandOf(admin, word);
    if (!sub) throw new UsageError('admin: use "admin password"');
    return sub.run(config, rest);
  },
};
