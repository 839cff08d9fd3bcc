// The help of every `postroom` command (`postroom CMD [SUB] --help`, `postroom help CMD [SUB]`) and
// the overview, put together from the command objects so that the help cannot drift from the code.
import { subcommandOf, type OverviewLine } from './command.js';
import { COMMANDS, commandNamed } from './commands/index.js';
import { NB, terminalLanguage } from '../i18n/index.js';
import { text } from './words.js';

/** `help` is answered by the dispatcher itself, so it is no command object: its help lives here. */
const HELP_OF_HELP = {
  en: `Usage: postroom help [COMMAND [SUBCOMMAND]]

Shows the help of a command, or the list of commands.`,
  fr: `Utilisation${NB}: postroom help [COMMANDE [SOUS-COMMANDE]]

Affiche l’aide d’une commande, ou la liste des commandes.`,
};

/** What an unknown command word is compared with for "did you mean". */
export const COMMAND_NAMES: readonly string[] = [...COMMANDS.map((c) => c.name), 'help'];

/** Where a summary starts in the overview; a longer usage puts its summary on the next line. */
const SUMMARY_COLUMN = 41;

function overviewLine(line: OverviewLine): string {
  const start = `  ${text(line.usage)}`;
  if (line.summary === undefined) return start;
  const summary = text(line.summary);
  return start.length < SUMMARY_COLUMN - 1 ? `${start.padEnd(SUMMARY_COLUMN)}${summary}` : `${start}\n${' '.repeat(SUMMARY_COLUMN)}${summary}`;
}

const OVERVIEW = {
  en: (lines: string) => `Usage: postroom <command> [options]      (postroom help <command> for one command)

${lines}

Environment: POSTROOM_DATA_DIR (./data), POSTROOM_DATABASE_URL (postgres://…), POSTROOM_MASTER_KEY,
POSTROOM_LOG_LEVEL. See docs/operations.md.`,
  fr: (lines: string) => `Utilisation${NB}: postroom <commande> [options]      (postroom help <commande> pour une commande)

${lines}

Environnement${NB}: POSTROOM_DATA_DIR (./data), POSTROOM_DATABASE_URL (postgres://…), POSTROOM_MASTER_KEY,
POSTROOM_LOG_LEVEL. Voir docs/operations.md.`,
};

export const overview = (): string => OVERVIEW[terminalLanguage()](COMMANDS.flatMap((c) => c.overview.map(overviewLine)).join('\n'));

/** The help of the longest command path the words start with (a sub-command without its own help: its command's); the overview for none. */
export function helpFor(words: string[]): string | null {
  const [name, sub] = words;
  if (name === undefined) return overview();
  if (name === 'help') return text(HELP_OF_HELP);
  const command = commandNamed(name);
  if (!command) return null;
  return text(subcommandOf(command, sub)?.help ?? command.help);
}
