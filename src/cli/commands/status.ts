// `postroom status`: is mail moving? The e-mails by status, the configuration's problems, and each
// sending process with its last campaign: the first thing to run when mail seems stuck.
import type { RuntimeConfig } from '../../config.js';
import { parse, withPostroom, type Command } from '../command.js';
import { formatStatus, say } from '../format.js';
import { NB } from '../../i18n/index.js';

export const status = {
  name: 'status',
  overview: [
    {
      usage: 'status [--json]',
      summary: { en: 'is mail moving? queue counts, sending processes, last campaign', fr: `le courrier part-il${NB}? file d’attente, processus d’envoi, dernière campagne` },
    },
  ],
  help: {
    en: `Usage: postroom status [--json]

Is mail moving? The e-mails by status, the configuration's problems, and each running sending
process with the outcome of its last campaign.`,
    fr: `Utilisation${NB}: postroom status [--json]

Le courrier part-il${NB}? Les e-mails par statut, les problèmes de la configuration, et chaque
processus d’envoi en marche avec le résultat de sa dernière campagne d’envoi.`,
  },
  options: { json: { type: 'boolean', default: false } },
  run: showStatus,
} satisfies Command;

async function showStatus(config: RuntimeConfig, args: string[]): Promise<number> {
  const { values } = parse('status', { args, options: status.options });
  const report = await withPostroom(config, async (p) => ({
    counts: await p.queue.counts(),
    problems: (await p.settings.view()).problems,
    instances: await p.dispatcher.status.list(Date.now(), p.dispatcher.aliveWithinMs),
  }));
  if (values.json) say(JSON.stringify(report, null, 2));
  else say(formatStatus(report));
  return 0;
}
