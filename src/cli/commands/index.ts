// Every `postroom` command, in the order `postroom help` lists them: the one list the dispatcher
// (main.ts) and the help (help.ts) read, so a command cannot be runnable yet missing from help.
import type { Command } from '../command.js';
import { serveCommand } from '../serve.js';
import { admin } from './admin.js';
import { queue } from './queue.js';
import { send } from './send.js';
import { settings } from './settings.js';
import { status } from './status.js';
import { token } from './token.js';
import { webhook } from './webhook.js';

export const COMMANDS: readonly Command[] = [serveCommand, send, status, settings, queue, admin, token, webhook];

export function commandNamed(name: string | undefined): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
