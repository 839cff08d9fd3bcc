// What every `postroom` command is built from: its shape (name, overview lines, help, sub-commands
// with their options), and the few helpers each run shares to read its arguments and open Postroom.
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Postroom } from '../app.js';
import type { RuntimeConfig } from '../config.js';
import { PostroomError } from '../errors.js';
import { terminalLanguage, type Phrase } from '../i18n/index.js';
import { quoteValue } from './addresses.js';
import { USAGE, word } from './words.js';

/** parseArgs' options object (node's types name it only inside ParseArgsConfig). */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** A line of `postroom help`: how the command is typed and, when it has one, what it does. */
export interface OverviewLine {
  usage: string | Phrase;
  summary?: Phrase;
}

export interface Subcommand {
  /** `postroom CMD SUB --help` in English and French; without one, the command's help answers for it. */
  readonly help?: Phrase;
  /** Its options, beside the usage that explains them: what its run gives parseArgs. */
  readonly options?: Options;
  run(config: RuntimeConfig, args: string[]): Promise<number>;
}

export interface Command {
  readonly name: string;
  /** Its lines in `postroom help`, in order. */
  readonly overview: readonly OverviewLine[];
  /** `postroom CMD --help`, in English and French. */
  readonly help: Phrase;
  /** The options of a command without sub-commands (status). */
  readonly options?: Options;
  readonly subcommands?: Readonly<Record<string, Subcommand>>;
  run(config: RuntimeConfig, args: string[]): Promise<number>;
}

export class UsageError extends PostroomError {
  override name = 'UsageError';
  readonly code = 'usage';
}

/** The sub-command a word names; own keys only, so "queue constructor" is no sub-command. */
export function subcommandOf(command: Command, word: string | undefined): Subcommand | undefined {
  const subs = command.subcommands;
  return word !== undefined && subs && Object.hasOwn(subs, word) ? subs[word] : undefined;
}

/** What the CLI changes is audited under the person at the terminal, not a bare "cli". */
export const actor = (): string => `cli:${os.userInfo().username}`;

/**
 * One job, then closed: a command must not leave the database open behind it. Postroom itself is
 * loaded here, not at start-up: --help and a usage error answer without loading the service.
 */
export async function withPostroom<T>(config: RuntimeConfig, fn: (p: Postroom) => Promise<T>): Promise<T> {
  const [{ openPostroom }, { default: pino }] = await Promise.all([import('../app.js'), import('pino')]);
  const postroom = await openPostroom({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    logger: pino({ level: 'warn' }, pino.destination(2)),
  });
  try {
    return await fn(postroom);
  } finally {
    await postroom.close();
  }
}

/** node's parseArgs, with its complaints naming the command and where its options are listed. */
export function parse<T extends ParseArgsConfig>(command: string, config: T) {
  try {
    return parseArgs(config);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(word(USAGE.parse, { command, why: parserComplaint(err as Error) }));
    }
    throw err;
  }
}

/** node's parseArgs complaint (its first line); in French when it is one of the usual ones. */
export function parserComplaint(err: Error): string {
  const first = err.message.split('\n')[0] ?? '';
  if (terminalLanguage() === 'en') return first;
  const read = (pattern: RegExp) => pattern.exec(first)?.[1];
  const unknown = read(/^Unknown option '(.+?)'/);
  if (unknown !== undefined) return word(USAGE.unknownOption, { option: unknown });
  const missing = read(/^Option '(.+?)' argument missing/);
  if (missing !== undefined) return word(USAGE.missingValue, { option: missing.replace(/ <value>$/, '') });
  const takesNone = read(/^Option '(.+?)' does not take an argument/);
  if (takesNone !== undefined) return word(USAGE.noValueTaken, { option: takesNone });
  const unexpected = read(/^Unexpected argument '(.+?)'/);
  if (unexpected !== undefined) return word(USAGE.unexpected, { typed: unexpected });
  return first;
}

/** Whose ID a command takes, as its usage errors name it. */
const ID_OF: Record<'e-mail' | 'token' | 'webhook', Phrase> = {
  'e-mail': { en: 'e-mail', fr: 'de l’e-mail' },
  token: { en: 'token', fr: 'du jeton' },
  webhook: { en: 'webhook', fr: 'du webhook' },
};

export function emailId(text: string | undefined, what: keyof typeof ID_OF = 'e-mail'): number {
  if (!text || !/^\d+$/.test(text)) throw new UsageError(word(USAGE.giveId, { what: word(ID_OF[what]), typed: text ? word(USAGE.notTyped, { typed: quoteValue(text) }) : '' }));
  return Number(text);
}

export function positiveInt(text: string, name: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(word(USAGE.wholeNumber, { name, typed: quoteValue(text) }));
  return Number(text);
}

/** A password or secret piped in: its first line, so the newline `echo` adds is not part of it. */
export function readStdinLine(): string {
  return fs.readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
}
