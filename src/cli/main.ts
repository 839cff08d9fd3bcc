// `postroom`'s dispatcher: reads the command word (or --help), runs that command from commands/,
// and turns any failure into one line a person can act on and the exit code of its error code.
import { readConfig } from '../config.js';
import { exitCodeOf, PostroomError } from '../errors.js';
import { terminalLanguage } from '../i18n/index.js';
import { EmailInputError } from '../queue/index.js';
import { refusedPreamble, SettingsValidationError, translateMessage } from '../settings/index.js';
import { parserComplaint, UsageError } from './command.js';
import { commandNamed } from './commands/index.js';
import { say, visible } from './format.js';
import { COMMAND_NAMES, helpFor, overview } from './help.js';
import { closest } from './suggest.js';
import { REFUSALS, USAGE, word, worded } from './words.js';

/** The command words a line starts with (before its first option): ["settings", "set"]. */
const commandWords = (argv: string[]) => {
  const end = argv.findIndex((a) => a.startsWith('-'));
  return end === -1 ? argv : argv.slice(0, end);
};

function printHelp(words: string[]): number {
  const text = helpFor(words);
  if (text === null) throw unknownCommand(words[0] ?? '');
  say(text);
  return 0;
}

function unknownCommand(command: string): UsageError {
  const guess = closest(command, COMMAND_NAMES);
  return new UsageError(word(USAGE.unknownCommand, { command, guess: guess ? word(USAGE.didYouMean, { guess }) : '' }));
}

export async function main(argv: string[]): Promise<number> {
  const [word, ...rest] = argv;
  if (!word) {
    say(overview());
    return 2;
  }
  if (word === 'help') {
    const words = rest.filter((a) => a !== '--help' && a !== '-h');
    // "postroom help --help": the help of help itself.
    return printHelp(words.length === 0 && rest.length > 0 ? ['help'] : words);
  }
  // --help anywhere before "--" asks for the help of the command the line starts with.
  const beforeEnd = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (beforeEnd.some((a) => a === '--help' || a === '-h')) return printHelp(commandWords(argv));
  const config = readConfig();
  const command = commandNamed(word);
  if (!command) throw unknownCommand(word);
  return command.run(config, rest);
}

/** One line a person can act on; never a stack trace, never a secret. */
export function describeError(err: unknown): { message: string; code: number } {
  const lang = terminalLanguage();
  // A refused setting: the reasons in the terminal's language, as the API words them for its caller.
  if (err instanceof SettingsValidationError && lang !== 'en') {
    const reasons = err.errors.map((e) => `${e.key}\u00a0: ${translateMessage(e.message, lang)}`).join('\u00a0; ');
    return { message: visible(`${refusedPreamble(lang)}\u00a0: ${reasons}`), code: exitCodeOf(err.code) };
  }
  // A refused hand-over or webhook: each field's reason read back, the field named as typed.
  // (The webhooks' modules load only for the command that uses them: their error is known by name.)
  const webhookRefused = err instanceof PostroomError && err.name === 'WebhookInputError';
  if ((err instanceof EmailInputError || webhookRefused) && lang !== 'en') {
    const detail = err.fields.map((e) => `${e.field}\u00a0: ${worded(e.message)}`).join('\u00a0; ');
    return { message: visible(word(webhookRefused ? REFUSALS.webhookRefused : REFUSALS.emailRefused, { detail })), code: exitCodeOf(err.code) };
  }
  // The codes table decides the exit code; every refusal (settings, e-mail, addresses typed) is a PostroomError.
  // Usage mistakes are worded in the terminal's language already; Postroom's refusals are read back.
  if (err instanceof PostroomError) return { message: visible(err instanceof UsageError ? err.publicMessage : worded(err.publicMessage)), code: exitCodeOf(err.code) };
  // Every complaint of node's argument parser (unknown option, missing value, extra argument) is a usage mistake.
  if (err instanceof Error && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_')) {
    return { message: lang === 'en' ? err.message : parserComplaint(err), code: exitCodeOf('usage') };
  }
  return { message: visible(err instanceof Error ? err.message : String(err)), code: 1 };
}
