// `postroom settings`: Configuration > Email from a terminal: shown, changed (secrets from standard
// input, out of the shell's history), set from a provider's preset, and who changed what when.
import fs from 'node:fs';
import type { RuntimeConfig } from '../../config.js';
import { FIELDS, PRESETS, SECRET_KEYS, SETTING_KEYS, SettingsValidationError, coerceSettingText, isSettingKey } from '../../settings/index.js';
import { quoteValue } from '../addresses.js';
import { actor, parse, positiveInt, readStdinLine, subcommandOf, UsageError, withPostroom, type Command, type Subcommand } from '../command.js';
import { formatSettings, say } from '../format.js';
import { closest } from '../suggest.js';

const get = {
  help: `Usage: postroom settings get [--json]

Shows every setting (secrets only as set or not set), warnings, and why the configuration is
incomplete, if it is.`,
  options: { json: { type: 'boolean', default: false } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values } = parse('settings get', { args, options: get.options });
    const view = await withPostroom(config, (p) => p.settings.view());
    say(values.json ? JSON.stringify(view, null, 2) : formatSettings(view));
    return 0;
  },
} satisfies Subcommand;

const set = {
  help: `Usage: postroom settings set KEY=VALUE...

Changes one or more settings at once; if any value is refused, nothing is saved. Keys are those
of postroom settings get (smtpHost, smtpPort, postmaster, enabled…). VALUE "-" reads the value
from standard input (for a password or a client secret, so it stays out of your shell history;
for a PEM certificate, use -  < ca.pem). Booleans: true/false, yes/no, on/off, 1/0.

Example: postroom settings set smtpHost=smtp.example.com smtpPort=587 postmaster=noreply@example.com`,
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    if (args.length === 0) throw new UsageError('settings set: give at least one KEY=VALUE (postroom settings set --help)');
    const patch: Record<string, unknown> = {};
    const typed: Record<string, string> = {};
    for (const pair of args) {
      const i = pair.indexOf('=');
      if (i <= 0) throw new UsageError(`settings set: ${quoteValue(pair)} is not KEY=VALUE`);
      const key = pair.slice(0, i);
      if (!isSettingKey(key)) {
        const guess = closest(key, SETTING_KEYS);
        throw new UsageError(`unknown setting ${key}${guess ? ` — did you mean ${guess}?` : ''} (postroom settings get lists them)`);
      }
      const text = pair.slice(i + 1);
      // A PEM certificate (and key) spans many lines: "-" reads all of standard input; a password is one line.
      const multiline = key === 'clientCertificate' || FIELDS[key].kind === 'pem';
      const value = text === '-' ? (multiline ? fs.readFileSync(0, 'utf8') : readStdinLine()) : text;
      patch[key] = coerceSettingText(key, value);
      typed[key] = text === '-' ? '(standard input)' : text;
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
    say(`saved ${Object.keys(patch).join(', ')}`);
    for (const c of view.cleared) say(`note: ${c.message}`);
    for (const p of view.problems) say(`problem: ${p.key}: ${p.message}`);
    return 0;
  },
} satisfies Subcommand;

const preset = {
  help: `Usage: postroom settings preset NAME

Applies the values of a setup guide in one audited change; never touches secrets or addresses.
NAME: ${Object.keys(PRESETS).join(', ')}.`,
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const name = args[0];
    if (!name) throw new UsageError(`settings preset: name one of ${Object.keys(PRESETS).join(', ')}`);
    const view = await withPostroom(config, (p) => p.settings.applyPreset(name, actor()));
    const chosen = PRESETS[name];
    say(`applied preset ${name}: ${Object.entries(chosen?.values ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
    if (chosen) say(`next: ${chosen.next}`);
    for (const p of view.problems) say(`problem: ${p.key}: ${p.message}`);
    return 0;
  },
} satisfies Subcommand;

const audit = {
  help: `Usage: postroom settings audit [--limit N]

Who changed which setting when, newest first (default 50 entries). Secrets show only that they changed.`,
  options: { limit: { type: 'string', default: '50' } },
  async run(config: RuntimeConfig, args: string[]): Promise<number> {
    const { values } = parse('settings audit', { args, options: audit.options });
    const entries = await withPostroom(config, (p) => p.settings.audit(positiveInt(values.limit, '--limit')));
    for (const e of entries) {
      const change = e.secret ? '(secret changed)' : `${JSON.stringify(e.oldValue)} -> ${JSON.stringify(e.newValue)}`;
      say(`${e.at}  ${e.actor}  ${e.key}  ${change}`);
    }
    return 0;
  },
} satisfies Subcommand;

export const settings: Command = {
  name: 'settings',
  overview: [
    { usage: 'settings get [--json]', summary: 'show Configuration > Email and its problems' },
    { usage: 'settings set KEY=VALUE...', summary: 'change settings (VALUE "-" reads it from standard input)' },
    { usage: 'settings preset NAME', summary: `apply ${Object.keys(PRESETS).join(' | ')}` },
    { usage: 'settings audit [--limit N]', summary: 'who changed which setting when' },
  ],
  help: `Usage: postroom settings get [--json]
       postroom settings set KEY=VALUE...
       postroom settings preset NAME
       postroom settings audit [--limit N]

Configuration > Email. postroom settings get lists every KEY; postroom help settings set.`,
  subcommands: { get, set, preset, audit },
  async run(config, args) {
    const [word, ...rest] = args;
    const sub = subcommandOf(settings, word);
    if (!sub) throw new UsageError(`settings: ${word ? `unknown subcommand ${quoteValue(word)}; ` : ''}use get, set, preset or audit (postroom settings --help)`);
    return sub.run(config, rest);
  },
};
