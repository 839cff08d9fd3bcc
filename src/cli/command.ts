// What every `postroom` command is built from: its shape (name, overview lines, help, sub-commands
// with their options), and the few helpers each run shares to read its arguments and open Postroom.
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import pino from 'pino';
import { openPostroom, type Postroom } from '../app.js';
import type { RuntimeConfig } from '../config.js';
import { PostroomError } from '../errors.js';
import { quoteValue } from './addresses.js';

/** parseArgs' options object (node's types name it only inside ParseArgsConfig). */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** A line of `postroom help`: how the command is typed and, when it has one, what it does. */
export interface OverviewLine {
  usage: string;
  summary?: string;
}

export interface Subcommand {
  /** `postroom CMD SUB --help`; without one, the command's help answers for it. */
  readonly help?: string;
  /** Its options, beside the usage that explains them: what its run gives parseArgs. */
  readonly options?: Options;
  run(config: RuntimeConfig, args: string[]): Promise<number>;
}

export interface Command {
  readonly name: string;
  /** Its lines in `postroom help`, in order. */
  readonly overview: readonly OverviewLine[];
  /** `postroom CMD --help`. */
  readonly help: string;
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

/** One job, then closed: a command must not leave the database open behind it. */
export async function withPostroom<T>(config: RuntimeConfig, fn: (p: Postroom) => Promise<T>): Promise<T> {
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
      throw new UsageError(`${command}: ${(err as Error).message.split('\n')[0]} (postroom ${command} --help lists the options)`);
    }
    throw err;
  }
}

export function emailId(text: string | undefined, what = 'e-mail'): number {
  if (!text || !/^\d+$/.test(text)) throw new UsageError(`give the ${what} ID (a number)${text ? `, not ${quoteValue(text)}` : ''}`);
  return Number(text);
}

export function positiveInt(text: string, name: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`${name} ${quoteValue(text)}: must be a whole number of at least 1`);
  return Number(text);
}

/** A password or secret piped in: its first line, so the newline `echo` adds is not part of it. */
export function readStdinLine(): string {
  return fs.readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
}
