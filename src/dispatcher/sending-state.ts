// "Is mail moving, and if not, why?" in one answer for the console banner, the API and the CLI:
// read from what every live sending process last reported, with the setting that would fix it.
import { catalogue, register, say } from '../i18n/index.js';
import type { EmailSettings, Problem } from '../settings/index.js';
import type { CampaignOutcome } from './dispatcher.js';
import type { InstanceStatus } from './status.js';

export interface SendingState {
  /** sending: mail moves (or nothing is due); stopped: e-mails wait; no-process: nobody sends. */
  state: 'sending' | 'stopped' | 'no-process';
  /** Why sending is stopped, with the server's reply when there is one. */
  reason: string | null;
  /** When it stopped (ISO), when known. */
  since: string | null;
  /** E-mails waiting to be sent (pending or error). */
  waiting: number;
  /** What makes sending resume, in plain words. */
  resumesWhen: string | null;
  /** The setting to look at first, when one is to blame. */
  setting: keyof EmailSettings | null;
  /** What stopped it: switched off, the configuration, the route (its server), the database; null while sending. */
  cause: 'disabled' | 'incomplete' | 'route' | 'database' | 'no-process' | null;
}

interface Blame {
  test: RegExp;
  setting: keyof EmailSettings;
  fix: string;
  /** The same in French (sending-words.ts): written beside the English so that neither drifts. */
  fixFr: string;
}

// Read from the failure's own words (transports say them); first match wins.
/** What makes sending resume, when no setting is to blame: English and French side by side. */
const RESUMES = catalogue({
  process: { en: 'a sending process starts (postroom serve)', fr: 'un processus d’envoi démarre (postroom serve)' },
  enabled: { en: '"Process for sending emails enabled" is checked', fr: '«\u00a0Processus d’envoi des e-mails activé\u00a0» est cochée' },
  problems: { en: 'the configuration problems are fixed', fr: 'les problèmes de configuration sont corrigés' },
  database: { en: 'the database answers again (nothing to change)', fr: 'la base de données répond de nouveau (rien à changer)' },
  route: { en: 'the route works again, or the settings change', fr: 'le mode d’envoi fonctionne de nouveau, ou les réglages changent' },
});

/** Why sending is stopped, when Postroom says it alone (a route's failure says itself, in transports/). */
export const STOPPED = catalogue({
  disabled: { en: 'sending is disabled', fr: 'l’envoi est désactivé' },
  noProcess: { en: 'no sending process is running', fr: 'aucun processus d’envoi ne tourne' },
  database: { en: 'the database could not be used: {message}', fr: 'la base de données n’a pas pu être utilisée\u00a0: {message}' },
});

const BLAME: Blame[] = [
  { test: /STARTTLS/i, setting: 'startTls', fix: 'the server offers STARTTLS, or the STARTTLS setting matches what it offers', fixFr: 'le serveur propose STARTTLS, ou le réglage STARTTLS correspond à ce qu’il propose' },
  { test: /password over an unencrypted|plain ?text/i, setting: 'startTls', fix: 'the connection is encrypted (STARTTLS or port 465)', fixFr: 'la connexion est chiffrée (STARTTLS ou port 465)' },
  { test: /certificate|TLS with/i, setting: 'smtpCaCertificate', fix: "the server's certificate is trusted (its CA in \"SMTP server's CA certificate\") and names the host", fixFr: 'le certificat du serveur est reconnu (son AC dans «\u00a0Certificat de l’AC du serveur SMTP\u00a0») et nomme l’hôte' },
  { test: /AADSTS|token|client secret|client certificate/i, setting: 'clientSecret', fix: 'the Microsoft app credentials are accepted', fixFr: 'les identifiants de l’application Microsoft sont acceptés' },
  { test: /authentication|535|534|530|AUTH/i, setting: 'smtpPassword', fix: 'the server accepts the SMTP user and password', fixFr: 'le serveur accepte l’utilisateur et le mot de passe SMTP' },
  { test: /sender|MAIL FROM|SendAs|not owned|5\.7\.60|5\.2\.252/i, setting: 'postmaster', fix: 'the server lets this login send as the postmaster', fixFr: 'le serveur permet à cet identifiant d’envoyer en tant que postmaster' },
  { test: /cannot reach|ENOTFOUND|ECONNREFUSED|unreachable|timed? ?out|421/i, setting: 'smtpHost', fix: 'the server can be reached and answers', fixFr: 'le serveur est joignable et répond' },
];

// Each blame's "resumes when", readable back in French like every phrase.
register(...BLAME.map((b) => ({ en: `${b.fix}, or the settings change`, fr: `${b.fixFr}, ou les réglages changent` })));

/** What the settings say now: a campaign's report of them is only as fresh as that campaign. */
export interface CurrentSettings {
  enabled: boolean;
  problems: Problem[];
}

/**
 * With `current`, what depends only on the settings (switched off, incomplete) follows them at
 * once: the last campaign may have run before the save, up to an interval ago.
 */
export function describeSending(instances: InstanceStatus[], waiting: number, current?: CurrentSettings): SendingState {
  const alive = instances.filter((i) => i.alive);
  if (alive.length === 0) {
    return { state: 'no-process', reason: say(STOPPED.noProcess), since: null, waiting, resumesWhen: RESUMES.process.en, setting: null, cause: 'no-process' };
  }
  if (current && !current.enabled) return { state: 'stopped', waiting, ...why({ state: 'disabled' }, new Date().toISOString()) };
  if (current && current.problems.length > 0) {
    return { state: 'stopped', waiting, ...why({ state: 'incomplete', problems: current.problems }, new Date().toISOString()) };
  }
  // Mail moves if any live process sends; otherwise the freshest report says why.
  const outcomes = alive.map((i) => i.lastCampaign).filter((c): c is NonNullable<typeof c> => c !== null);
  if (outcomes.length === 0 || outcomes.some((c) => moving(c.outcome))) return { state: 'sending', reason: null, since: null, waiting, resumesWhen: null, setting: null, cause: null };
  const latest = outcomes.reduce((a, b) => (a.startedAt > b.startedAt ? a : b));
  // Switched off or incomplete when it ran, but not now: the next campaign sends.
  if (current && (latest.outcome.state === 'disabled' || latest.outcome.state === 'incomplete')) {
    return { state: 'sending', reason: null, since: null, waiting, resumesWhen: null, setting: null, cause: null };
  }
  return { state: 'stopped', waiting, ...why(latest.outcome, latest.startedAt) };
}

function moving(o: CampaignOutcome): boolean {
  return o.state === 'ran' && o.routeFailure === null;
}

function why(o: CampaignOutcome, at: string): Pick<SendingState, 'reason' | 'since' | 'resumesWhen' | 'setting' | 'cause'> {
  switch (o.state) {
    case 'disabled':
      return { reason: say(STOPPED.disabled), since: null, resumesWhen: RESUMES.enabled.en, setting: 'enabled', cause: 'disabled' };
    case 'incomplete': {
      const first = o.problems[0];
      return {
        reason: `the configuration is incomplete: ${o.problems.map((p) => p.message).join('; ')}`,
        since: null,
        resumesWhen: RESUMES.problems.en,
        setting: (first?.key as keyof EmailSettings | undefined) ?? null,
        cause: 'incomplete',
      };
    }
    case 'error':
      return { reason: say(STOPPED.database, { message: o.message }), since: at, resumesWhen: RESUMES.database.en, setting: null, cause: 'database' };
    case 'route-failing':
    case 'ran': {
      const message = o.state === 'route-failing' ? o.message : (o.routeFailure ?? '');
      const since = o.state === 'route-failing' ? (o.since ?? at) : at;
      const blame = BLAME.find((b) => b.test.test(message));
      return { reason: message, since, resumesWhen: blame ? `${blame.fix}, or the settings change` : RESUMES.route.en, setting: blame?.setting ?? null, cause: 'route' };
    }
  }
}

/** What sendingNow() reads: the live processes' reports, the queue's counts, the settings now. */
export interface SendingSources {
  instances(): Promise<InstanceStatus[]>;
  waiting(): Promise<number>;
  settings(): Promise<CurrentSettings>;
}

/** The sending state as of now, for the API, the e-mail page and the CLI. */
export async function sendingNow(sources: SendingSources): Promise<SendingState> {
  const [instances, waiting, current] = await Promise.all([sources.instances(), sources.waiting(), sources.settings()]);
  return describeSending(instances, waiting, current);
}
