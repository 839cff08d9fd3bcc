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
  allowPlaintextAuth: 'Autoriser un mot de passe sur une connexion non chiffrée',
  wakeOnHandOver: 'Envoyer dès la remise d’un e-mail',
  clientSecretExpiresAt: 'Date d’expiration du secret client',
  microsoftCloud: 'Cloud Microsoft',
  clientCertificate: 'Certificat client',
  clientCertificateExpiresAt: 'Date d’expiration du certificat client',
  outlookNewDraftsIn: 'Brouillons Outlook (New) dans',
  smtpCaCertificate: 'Certificat de l’AC du serveur SMTP',
  microsoftCaCertificate: 'Certificat de l’AC d’un proxy placé devant Microsoft',
  bounceProcessing: 'Lire les retours dans la boîte du postmaster',
  imapHost: 'Hôte IMAP',
  imapPort: 'Port IMAP',
  imapUser: 'Utilisateur IMAP',
  imapPassword: 'Mot de passe IMAP',
  bounceCheckIntervalSeconds: 'Vérifier la boîte toutes les (secondes)',
  useGoogleServiceAccount: 'Utiliser un compte de service Google (Google Workspace)',
  googleServiceAccountKey: 'Clé du compte de service Google (JSON)',
  googleServiceAccount: 'Compte de service Google',
};

/** A setting named in an English message (by its label or its key), named again in French. */
function frenchName(name: string): string {
  // "Client Secret (or Client certificate)": either of two settings.
  const either = /^(.+) \(or (.+)\)$/.exec(name);
  if (either) return `${frenchName(either[1] ?? '')} (ou ${frenchName(either[2] ?? '')})`;
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
  { id: 'field.oneOf', english: /^must be one of (.+)$/, french: (m) => `doit valoir l’une de ces valeurs\u00a0: ${g(m, 1)}` },
  { id: 'field.eitherOf', english: /^must be (\S+) or (\S+)$/, french: (m) => `doit valoir ${g(m, 1)} ou ${g(m, 2)}` },
  // The client certificate credential (certificate.ts).
  { id: 'clientCertificate.noCertificate', english: /^holds no PEM certificate \(-----BEGIN CERTIFICATE-----\)$/, french: () => 'ne contient aucun certificat PEM (-----BEGIN CERTIFICATE-----)' },
  {
    id: 'clientCertificate.noKey',
    english: /^holds no PEM private key \(-----BEGIN PRIVATE KEY-----\) after the certificate$/,
    french: () => 'ne contient aucune clé privée PEM (-----BEGIN PRIVATE KEY-----) après le certificat',
  },
  {
    id: 'clientCertificate.encryptedKey',
    english: /^holds an encrypted private key: export it without a passphrase \((.+)\)$/,
    french: (m) => `contient une clé privée chiffrée\u00a0: exportez-la sans phrase secrète (${g(m, 1)})`,
  },
  { id: 'clientCertificate.unreadableCertificate', english: /^holds a certificate that cannot be read$/, french: () => 'contient un certificat illisible' },
  { id: 'clientCertificate.unreadableKey', english: /^holds a private key that cannot be read$/, french: () => 'contient une clé privée illisible' },
  {
    id: 'clientCertificate.notRsa',
    english: /^holds a non-RSA key: Microsoft Entra ID client certificates use RSA keys$/,
    french: () => 'contient une clé qui n’est pas RSA\u00a0: les certificats client de Microsoft Entra ID utilisent des clés RSA',
  },
  {
    id: 'clientCertificate.keyMismatch',
    english: /^holds a private key that does not belong to the certificate$/,
    french: () => 'contient une clé privée qui n’appartient pas au certificat',
  },
  { id: 'clientCertificate.expired', english: /^holds a certificate that expired on (\S+)$/, french: (m) => `contient un certificat qui a expiré le ${frenchDay(g(m, 1))}` },
  // A CA certificate setting (certificates.ts): "block 2 " names the block of a bundle.
  {
    id: 'pem.notPem',
    english: /^is not a PEM certificate \(it should start with -----BEGIN CERTIFICATE-----\)$/,
    french: () => 'n’est pas un certificat PEM (il doit commencer par -----BEGIN CERTIFICATE-----)',
  },
  {
    id: 'pem.textOutside',
    english: /^holds text outside the -----BEGIN\/END CERTIFICATE----- lines$/,
    french: () => 'contient du texte en dehors des lignes -----BEGIN/END CERTIFICATE-----',
  },
  {
    id: 'pem.privateKey',
    english: /^(?:block (\d+) )?is a private key: paste only the CA's certificate, never a key$/,
    french: (m) => `${m[1] ? `le bloc ${g(m, 1)} ` : ''}est une clé privée\u00a0: collez seulement le certificat de l’AC, jamais une clé`,
  },
  {
    id: 'pem.notCertificate',
    english: /^(?:block (\d+) )?is a ([A-Z0-9 ]+), not a CERTIFICATE$/,
    french: (m) => `${m[1] ? `le bloc ${g(m, 1)} ` : ''}est un ${g(m, 2)}, pas un CERTIFICATE`,
  },
  {
    id: 'pem.unreadable',
    english: /^(?:block (\d+) )?cannot be read as a certificate \(damaged or incomplete base64\)$/,
    french: (m) => `${m[1] ? `le bloc ${g(m, 1)} ` : ''}ne peut pas être lu comme un certificat (base64 abîmé ou incomplet)`,
  },
  { id: 'field.unknown', english: /^is not a setting$/, french: () => 'n’est pas un paramètre' },
  // The Google service account key (google-key.ts).
  {
    id: 'googleKey.notJson',
    english: /^is not JSON: paste the whole key file Google gave you \(it starts with \{"type": "service_account"\)$/,
    french: () => 'n’est pas du JSON\u00a0: collez tout le fichier de clé donné par Google (il commence par {"type": "service_account")',
  },
  {
    id: 'googleKey.notServiceAccount',
    english: /^is not a service account key \("type" is not "service_account"\): create a JSON key under IAM & Admin > Service accounts > Keys$/,
    french: () => 'n’est pas une clé de compte de service («\u00a0type\u00a0» n’est pas «\u00a0service_account\u00a0»)\u00a0: créez une clé JSON sous IAM et administration > Comptes de service > Clés',
  },
  { id: 'googleKey.lacks', english: /^lacks (.+): paste the whole key file$/, french: (m) => `il manque ${g(m, 1)}\u00a0: collez tout le fichier de clé` },
  { id: 'googleKey.unreadable', english: /^holds a private_key that cannot be read$/, french: () => 'contient une private_key illisible' },
  { id: 'googleKey.notRsa', english: /^holds a non-RSA private_key: Google signs service account tokens with RS256$/, french: () => 'contient une private_key qui n’est pas RSA\u00a0: Google signe les jetons des comptes de service en RS256' },
  { id: 'googleKey.email', english: /^holds a client_email that is not an address$/, french: () => 'contient un client_email qui n’est pas une adresse' },
  { id: 'googleKey.clientId', english: /^holds a client_id that is not the numeric ID Google gives$/, french: () => 'contient un client_id qui n’est pas l’identifiant numérique donné par Google' },
  {
    id: 'field.retired.webhooksAllowPrivate',
    english: /^is no longer a setting: an administrator allows a private or loopback address for one webhook \(allowPrivateTarget\)$/,
    french: () => 'n’est plus un paramètre : un administrateur autorise une adresse privée ou de bouclage pour un webhook précis (allowPrivateTarget)',
  },
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
  // Bounce processing's mailbox (mailbox.ts): a warning, never a reason to stop sending.
  {
    id: 'warning.bouncesGraphPostmaster',
    english: /^bounce processing reads the postmaster's mailbox through Microsoft Graph: set the Mail postmaster$/,
    french: () => 'le traitement des retours lit la boîte du postmaster par Microsoft Graph\u00a0: renseignez le Mail postmaster',
  },
  {
    id: 'warning.bouncesMailboxUser',
    english: /^bounce processing needs the mailbox to read: set the Mail postmaster \(or IMAP user\)$/,
    french: () => 'le traitement des retours a besoin de la boîte à lire\u00a0: renseignez le Mail postmaster (ou l’utilisateur IMAP)',
  },
  {
    id: 'warning.bouncesImapHost',
    english: /^bounce processing needs the IMAP host of the postmaster's mailbox$/,
    french: () => 'le traitement des retours a besoin de l’hôte IMAP de la boîte du postmaster',
  },
  {
    id: 'warning.bouncesLogin',
    english: /^bounce processing needs a login for the postmaster's mailbox: set IMAP user \(or SMTP user\)$/,
    french: () => 'le traitement des retours a besoin d’un identifiant pour la boîte du postmaster\u00a0: renseignez l’utilisateur IMAP (ou l’utilisateur SMTP)',
  },
  {
    id: 'warning.bouncesPasswordElsewhere',
    english: /^IMAP password is required: the SMTP password is only used for the SMTP account on its own server's IMAP host \((.*)\)$/,
    french: (m) => `le mot de passe IMAP est obligatoire\u00a0: le mot de passe SMTP n’est utilisé que pour le compte SMTP, sur l’hôte IMAP de son propre serveur (${g(m, 1)})`,
  },
  {
    id: 'warning.bouncesPassword',
    english: /^IMAP password is required \(or the SMTP password, for the same account on the same server\)$/,
    french: () => 'le mot de passe IMAP est obligatoire (ou le mot de passe SMTP, pour le même compte sur le même serveur)',
  },
  // A CA certificate setting near or past its expiry (service.ts).
  {
    id: 'warning.caCertificateExpired',
    english: /^the certificate (.+) expired on (\S+): connections that rely on it fail$/,
    french: (m) => `le certificat ${g(m, 1)} a expiré le ${frenchDay(g(m, 2))}\u00a0: les connexions qui s’y fient échouent`,
  },
  {
    id: 'warning.caCertificateExpires',
    english: /^the certificate (.+) expires on (\S+) \(in (\d+) days?\)$/,
    french: (m) => `le certificat ${g(m, 1)} expire le ${frenchDay(g(m, 2))} (dans ${g(m, 3)} jour${g(m, 3) === '1' || g(m, 3) === '0' ? '' : 's'})`,
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
