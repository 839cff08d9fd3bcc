// Configuration messages (refused values, problems between settings, warnings) in the reader's
// language. The rules write English; each catalogue entry has a stable id, recognises one English
// message and words it in French, naming settings by their French labels. \u00a0 is the no-break
// space French typography puts inside « » and before : ; ? !
import { FIELDS, type SettingKey } from './fields.js';

export type Language = 'en' | 'fr';

/** French labels of the settings, as the console shows them (test/settings/messages.test.ts keeps them equal). */
export const FRENCH_LABELS: Partial<Record<SettingKey, string>> = {
  enabled: 'Processus d’envoi des e-mails activé',
  smtpHost: 'Hôte SMTP',
  smtpPort: 'Port SMTP',
  smtpUser: 'Utilisateur SMTP',
  smtpPassword: 'Mot de passe SMTP',
  useOAuth: 'Utiliser l’authentification OAUTH (Exchange 365 uniquement)',
  useGraph: 'Utiliser la bibliothèque Graph API',
  tenantId: 'ID de locataire',
  clientId: 'ID client',
  clientSecret: 'Secret client',
  startTls: 'Utilisation de la commande STARTTLS',
  postmaster: 'Adresse du postmaster',
  outlookNewAddress: 'Adresse e-mail utilisée pour envoyer les e-mails avec Outlook (New)',
  forcePostmaster: 'Forcer le postmaster comme expéditeur de tous les e-mails',
  maxRetrySeconds: 'Délai maximum au-delà duquel le système n’envoie plus les e-mails en erreur',
  campaignIntervalSeconds: 'Intervalle de temps entre deux campagnes d’envoi',
  retentionDays: 'Durée (en jours) de conservation des e-mails en base de données',
  skipPendingAtStartup: 'Au démarrage, ne pas envoyer les e-mails en attente',
  maxMessagesPerMinute: 'Nombre maximum d’e-mails par minute',
  smtpMaxConnections: 'Nombre maximum de connexions SMTP simultanées',
  wakeOnHandOver: 'Envoyer dès la remise d’un e-mail',
  clientSecretExpiresAt: 'Date d’expiration du secret client',
};

/** A setting named in an English message (by its label or its key), named again in French. */
function frenchName(name: string): string {
  const key = (Object.keys(FIELDS) as SettingKey[]).find((k) => FIELDS[k].label === name || k === name);
  return key ? (FRENCH_LABELS[key] ?? name) : name;
}

const TYPE_NAMES: Record<string, string> = { boolean: 'true ou false', string: 'du texte', number: 'un nombre', int: 'un nombre entier' };

interface Entry {
  id: string;
  english: RegExp;
  french: (m: RegExpExecArray) => string;
}

const g = (m: RegExpExecArray, i: number) => m[i] ?? '';
/** A calendar date (YYYY-MM-DD) as a French reader writes it: 2 décembre 2026. */
const frenchDay = (ymd: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(ymd) ? new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${ymd}T00:00:00Z`)) : ymd;

export const MESSAGES: Entry[] = [
  // A value refused on its own (fields.ts, service.ts).
  { id: 'field.notEmail', english: /^is not a valid e-mail address$/, french: () => 'n’est pas une adresse e-mail valide' },
  { id: 'field.tooLong', english: /^is longer than (\d+) characters$/, french: (m) => `dépasse ${g(m, 1)} caractères` },
  { id: 'field.controlCharacter', english: /^contains a line break or control character$/, french: () => 'contient un saut de ligne ou un caractère de contrôle' },
  { id: 'field.wholeNumber', english: /^must be a whole number$/, french: () => 'doit être un nombre entier' },
  { id: 'field.atLeast', english: /^must be at least (-?\d+)$/, french: (m) => `doit valoir au moins ${g(m, 1)}` },
  { id: 'field.atMost', english: /^must be at most (-?\d+)$/, french: (m) => `doit valoir au plus ${g(m, 1)}` },
  { id: 'field.notHost', english: /^is not a host name or IP address$/, french: () => 'n’est ni un nom d’hôte ni une adresse IP' },
  { id: 'field.notTenant', english: /^is not a tenant GUID or domain name$/, french: () => 'n’est ni un GUID de locataire ni un nom de domaine' },
  { id: 'field.notGuid', english: /^is not a GUID \((.+)\)$/, french: (m) => `n’est pas un GUID (${g(m, 1)})` },
  { id: 'field.notDate', english: /^is not a date \(YYYY-MM-DD\)$/, french: () => 'n’est pas une date (AAAA-MM-JJ)' },
  {
    id: 'field.wrongType',
    english: /^Invalid input: expected (\w+), received (\w+)$/,
    french: (m) => `valeur invalide\u00a0: ${TYPE_NAMES[g(m, 1)] ?? g(m, 1)} attendu`,
  },
  { id: 'field.unknown', english: /^is not a setting$/, french: () => 'n’est pas un paramètre' },
  { id: 'field.invalid', english: /^is not valid$/, french: () => 'n’est pas valide' },
  { id: 'patch.empty', english: /^no setting to change was given$/, french: () => 'aucun paramètre à modifier n’a été donné' },
  {
    id: 'postmaster.userAddress',
    english: /^(.+) is the address of user (.+): the postmaster must be a mailbox of its own$/,
    french: (m) => `${g(m, 1)} est l’adresse de l’utilisateur ${g(m, 2)}\u00a0: le postmaster doit être une boîte aux lettres distincte`,
  },
  // Problems between settings (problems.ts).
  {
    id: 'problem.exclusive',
    english: /^"(.+)" and "(.+)" cannot both be checked: choose one route$/,
    french: (m) => `«\u00a0${frenchName(g(m, 1))}\u00a0» et «\u00a0${frenchName(g(m, 2))}\u00a0» ne peuvent pas être cochées toutes les deux\u00a0: choisissez un seul mode d’envoi`,
  },
  {
    id: 'problem.requiredWhenChecked',
    english: /^(.+) is required when "(.+)" is checked$/,
    french: (m) => `«\u00a0${frenchName(g(m, 1))}\u00a0» est obligatoire quand «\u00a0${frenchName(g(m, 2))}\u00a0» est cochée`,
  },
  {
    id: 'problem.requiredWhenSet',
    english: /^(.+) is required when (.+) is set$/,
    french: (m) => `«\u00a0${frenchName(g(m, 1))}\u00a0» est obligatoire quand «\u00a0${frenchName(g(m, 2))}\u00a0» est renseigné`,
  },
  {
    id: 'problem.requiredForSmtp',
    english: /^(.+) is required to send by SMTP$/,
    french: (m) => `«\u00a0${frenchName(g(m, 1))}\u00a0» est obligatoire pour envoyer en SMTP`,
  },
  // Warnings (problems.ts).
  {
    id: 'warning.secretExpired',
    english: /^the client secret expired on (\S+): create a new one in Certificates & secrets and paste its Value here$/,
    french: (m) => `le secret client a expiré le ${frenchDay(g(m, 1))}\u00a0: créez-en un nouveau dans Certificats & secrets et collez sa Valeur ici`,
  },
  {
    id: 'warning.secretExpires',
    english: /^the client secret expires on (\S+) \(in (\d+) days?\): create a new one in Certificates & secrets before then$/,
    french: (m) => `le secret client expire le ${frenchDay(g(m, 1))} (dans ${g(m, 2)} jour${g(m, 2) === '1' || g(m, 2) === '0' ? '' : 's'})\u00a0: créez-en un nouveau dans Certificats & secrets d’ici là`,
  },
  // A secret this process cannot open (secrets.ts).
  {
    id: 'secret.notSealed',
    english: /^the stored (\w+) is not a sealed secret: enter it again$/,
    french: (m) => `la valeur enregistrée de «\u00a0${frenchName(g(m, 1))}\u00a0» n’est pas un secret chiffré\u00a0: saisissez-la à nouveau`,
  },
  {
    id: 'secret.otherKey',
    english: /^the stored (\w+) was sealed with another master key \(key (\S+), this process has (\S+)\): set POSTROOM_MASTER_KEY to the original key, or enter (\w+) again$/,
    french: (m) =>
      `la valeur enregistrée de «\u00a0${frenchName(g(m, 1))}\u00a0» a été chiffrée avec une autre clé maîtresse (clé ${g(m, 2)}, ce processus a ${g(m, 3)})\u00a0: donnez à POSTROOM_MASTER_KEY la clé d’origine, ou saisissez «\u00a0${frenchName(g(m, 4))}\u00a0» à nouveau`,
  },
];

/** The message's catalogue id, or null for a message the catalogue does not know. */
export const messageId = (english: string): string | null => MESSAGES.find((e) => e.english.test(english))?.id ?? null;

/** The message in `lang`; a message the catalogue does not know stays in English. */
export function translateMessage(english: string, lang: Language): string {
  if (lang === 'en') return english;
  for (const entry of MESSAGES) {
    const m = entry.english.exec(english);
    if (m) return entry.french(m);
  }
  return english;
}

/** Problems or warnings, each message in `lang`. */
export const translateProblems = <P extends { message: string }>(list: P[], lang: Language): P[] =>
  list.map((p) => ({ ...p, message: translateMessage(p.message, lang) }));

/** The preamble of a refused change, before the fields' reasons. */
export const refusedPreamble = (lang: Language): string => (lang === 'fr' ? 'paramètres refusés, rien n’est enregistré' : 'settings refused, nothing saved');
