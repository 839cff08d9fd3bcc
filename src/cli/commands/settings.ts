// `postroom settings`: Configuration > Email from a terminal: shown, changed (secrets from standard
// input, out of the shell's history), set from a provider's preset, and who changed what when.
import fs from 'node:fs';
import type { RuntimeConfig } from '../../config.js';
import { FIELDS, PRESETS, SECRET_KEYS, SETTING_KEYS, SettingsValidationError, coerceSettingText, isSettingKey, translateMessage } from '../../settings/index.js';
import { quoteValue } from '../addresses.js';
import { actor, parse, positiveInt, readStdinLine, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { NB, terminalLanguage } from '../../i18n/index.js';
import { formatSettings, say } from '../format.js';
import { closest } from '../suggest.js';
import { CLI, presetNext, SAID, USAGE, word } from '../words.js';

/** A settings message (a problem, a notice) in the terminal's language. */
const setting = (message: string) => translateMessage(message, terminalLanguage());

const get = {
  help: {
    en: `Usage: postroom settings get [--json]

Shows every setting (secrets only as set or not set), warnings, and why the configuration is
incomplete, if it is.`,
    fr: `Utilisation${NB}: postroom settings get [--json]

Affiche chaque paramètre (les secrets seulement comme définis ou non), les avertissements, et
pourquoi la configuration est incomplète, si elle l’est.`,
  },
  options: { json: { type: 'boolean', default: false } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values } = parse('settings get', { args, options: get.options });
    const view = await withPostroom(config, (p) => p.settings.view());
    say(values.json ? JSON.stringify(view, null, 2) : formatSettings(view));
    return 0;
  },
} satisfies Subcommand;

const set = {
  help: {
    en: `Usage: postroom settings set KEY=VALUE...

Changes one or more settings at once; if any value is refused, nothing is saved. Keys are those
of postroom settings get (smtpHost, smtpPort, postmaster, enabled…). VALUE "-" reads the value
from standard input (for a password or a client secret, so it stays out of your shell history;
for a PEM certificate, use -  < ca.pem). Booleans: true/false, yes/no, on/off, 1/0.

Example: postroom settings set smtpHost=smtp.example.com smtpPort=587 postmaster=noreply@example.com`,
    fr: `Utilisation${NB}: postroom settings set CLÉ=VALEUR...

Modifie un ou plusieurs paramètres à la fois${NB}; si une valeur est refusée, rien n’est enregistré.
Les clés sont celles de postroom settings get (smtpHost, smtpPort, postmaster, enabled…). Une VALEUR
«${NB}-${NB}» est lue sur l’entrée standard (pour un mot de passe ou un secret client, afin qu’il
n’apparaisse pas dans l’historique du shell${NB}; pour un certificat PEM, utilisez -  < ca.pem).
Booléens${NB}: true/false, yes/no, on/off, 1/0.

Exemple${NB}: postroom settings set smtpHost=smtp.example.com smtpPort=587 postmaster=noreply@example.com`,
  },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    if (args.length === 0) throw new UsageError(word(USAGE.setNothing));
    const patch: Record<string, unknown> = {};
    const typed: Record<string, string> = {};
    for (const pair of args) {
      const i = pair.indexOf('=');
      if (i <= 0) throw new UsageError(word(USAGE.notPair, { typed: quoteValue(pair) }));
      const key = pair.slice(0, i);
      if (!isSettingKey(key)) {
        const guess = closest(key, SETTING_KEYS);
        throw new UsageError(word(USAGE.unknownSetting, { key, guess: guess ? word(USAGE.didYouMean, { guess }) : '' }));
      }
      const text = pair.slice(i + 1);
      // A PEM certificate (and key) spans many lines: "-" reads all of standard input; a password is one line.
      const multiline = key === 'clientCertificate' || FIELDS[key].kind === 'pem';
      const value = text === '-' ? (multiline ? fs.readFileSync(0, 'utf8') : readStdinLine()) : text;
      patch[key] = coerceSettingText(key, value);
      typed[key] = text === '-' ? word(SAID.standardInput) : text;
    }
    const view = await withPostroom(config, (p) => p.settings.update(patch, actor())).catch((err: unknown) => {
      if (!(err instanceof SettingsValidationError)) throw err;
      // Name what was typed (KEY=VALUE), never a secret's value.
      throw new SettingsValidationError(
        err.errors.map((e) => {
          const secret = isSettingKey(e.key) && SECRET_KEYS.includes(e.key);
          const text = typed[e.key];
          return { key: text === undefined || secret ? e.key : `${e.key}=${quoteValue(text)}`, message: e.message };
        }),
      );
    });
    say(word(SAID.saved, { keys: Object.keys(patch).join(', ') }));
    for (const c of view.cleared) say(word(SAID.note, { message: terminalLanguage() === 'en' ? c.message : word(SAID.cleared, { key: c.key, because: c.because.join(', ') }) }));
    for (const p of view.problems) say(word(CLI.problem, { key: p.key, message: setting(p.message) }));
    return 0;
  },
} satisfies Subcommand;

const preset = {
  help: {
    en: `Usage: postroom settings preset NAME

Applies the values of a setup guide in one audited change; never touches secrets or addresses.
NAME: ${Object.keys(PRESETS).join(', ')}.`,
    fr: `Utilisation${NB}: postroom settings preset NOM

Applique les valeurs d’un guide de configuration en une seule modification consignée dans l’audit${NB};
ne touche jamais aux secrets ni aux adresses. NOM${NB}: ${Object.keys(PRESETS).join(', ')}.`,
  },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const name = args[0];
    if (!name) throw new UsageError(word(USAGE.presetName, { presets: Object.keys(PRESETS).join(', ') }));
    const view = await withPostroom(config, (p) => p.settings.applyPreset(name, actor()));
    const chosen = PRESETS[name];
    say(word(SAID.presetApplied, { name, values: Object.entries(chosen?.values ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', ') }));
    if (chosen) say(word(SAID.next, { next: presetNext(name, chosen.next) }));
    for (const p of view.problems) say(word(CLI.problem, { key: p.key, message: setting(p.message) }));
    return 0;
  },
} satisfies Subcommand;

const audit = {
  help: {
    en: `Usage: postroom settings audit [--limit N]

Who changed which setting when, newest first (default 50 entries). Secrets show only that they changed.`,
    fr: `Utilisation${NB}: postroom settings audit [--limit N]

Qui a modifié quel paramètre et quand, du plus récent au plus ancien (50${NB}entrées par défaut). Pour
un secret, seul le fait qu’il a changé est affiché.`,
  },
  options: { limit: { type: 'string', default: '50' } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values } = parse('settings audit', { args, options: audit.options });
    const entries = await withPostroom(config, (p) => p.settings.audit(positiveInt(values.limit, '--limit')));
    for (const e of entries) {
      const change = e.secret ? word(SAID.secretChanged) : `${JSON.stringify(e.oldValue)} -> ${JSON.stringify(e.newValue)}`;
      say(`${e.at}  ${e.actor}  ${e.key}  ${change}`);
    }
    return 0;
  },
} satisfies Subcommand;

export const settings: Command = {
  name: 'settings',
  overview: [
    { usage: 'settings get [--json]', summary: { en: 'show Configuration > Email and its problems', fr: 'affiche Configuration > E-mail et ses problèmes' } },
    {
      usage: { en: 'settings set KEY=VALUE...', fr: 'settings set CLÉ=VALEUR...' },
      summary: { en: 'change settings (VALUE "-" reads it from standard input)', fr: `modifie des paramètres (VALEUR «${NB}-${NB}»${NB}: lue sur l’entrée standard)` },
    },
    { usage: { en: 'settings preset NAME', fr: 'settings preset NOM' }, summary: { en: `apply ${Object.keys(PRESETS).join(' | ')}`, fr: `applique ${Object.keys(PRESETS).join(' | ')}` } },
    { usage: 'settings audit [--limit N]', summary: { en: 'who changed which setting when', fr: 'qui a modifié quel paramètre et quand' } },
  ],
  help: {
    en: `Usage: postroom settings get [--json]
       postroom settings set KEY=VALUE...
       postroom settings preset NAME
       postroom settings audit [--limit N]

Configuration > Email. postroom settings get lists every KEY; postroom help settings set.`,
    fr: `Utilisation${NB}: postroom settings get [--json]
             postroom settings set CLÉ=VALEUR...
             postroom settings preset NOM
             postroom settings audit [--limit N]

Configuration > E-mail. postroom settings get liste chaque CLÉ${NB}; voir aussi postroom help settings set.`,
  },
  subcommands: { get, set, preset, audit },
  async run(config, args) {
    const [first, ...rest] = args;
    const sub = subcommandOf(settings, first);
    if (!sub) throw new UsageError(word(USAGE.settingsUse, { unknown: first ? word(USAGE.unknownSub, { typed: quoteValue(first) }) : '' }));
    return sub.run(config, rest);
  },
};
