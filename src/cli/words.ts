// What the `postroom` command prints for a person, English and French side by side; the terminal's
// locale (LC_ALL, LC_MESSAGES, LANG) chooses. Stored text and servers' replies keep their words.
import { catalogue, NB, sayIn, terminalLanguage, translate, type Phrase } from '../i18n/index.js';

export const CLI = {
  // queue show: the labels, padded to one column.
  created: { en: 'created', fr: 'créé le' },
  by: { en: '{at} (by {source})', fr: '{at} (par {source})' },
  sender: { en: 'sender', fr: 'expéditeur' },
  postmaster: { en: '(postmaster)', fr: '(postmaster)' },
  to: { en: 'to', fr: 'à' },
  subject: { en: 'subject', fr: 'objet' },
  attachment: { en: 'attachment', fr: 'pièce jointe' },
  bytes: { en: '{name} ({type}, {size} bytes)', fr: `{name} ({type}, {size}${NB}octets)` },
  nextTry: { en: 'next try', fr: 'prochain essai' },
  waiting: { en: 'waiting', fr: 'en attente' },
  firstFailed: { en: 'first failed', fr: '1er échec' },
  recipient: { en: 'recipient', fr: 'destinataire' },
  report: { en: 'report', fr: 'rapport' },
  reportLine: { en: '{at}  from {reporter}, matched by {how}: {subject}', fr: `{at}  de {reporter}, rapproché par {how}${NB}: {subject}` },
  attempts: { en: 'attempts', fr: 'tentatives' },
  email: { en: 'e-mail {id}: {status}', fr: `e-mail {id}${NB}: {status}` },
  bounced: { en: 'bounced ({type})', fr: 'revenu ({type})' },
  delayed: { en: '(delayed {status}, reported {at})', fr: '(retardé {status}, signalé le {at})' },
  // queue list, retry, cancel, release-held, purge
  noEmails: { en: 'no e-mails', fr: 'aucun e-mail' },
  willBeSent: { en: 'e-mail {id} will be sent again at the next campaign', fr: 'l’e-mail {id} sera renvoyé à la prochaine campagne' },
  willBeSentOne: { en: '1 {status} e-mail will be sent again at the next campaign', fr: `1${NB}e-mail {status} sera renvoyé à la prochaine campagne` },
  willBeSentMany: { en: '{n} {status} e-mails will be sent again at the next campaign', fr: `{n}${NB}e-mails {status} seront renvoyés à la prochaine campagne` },
  cancelled: { en: 'e-mail {id} cancelled', fr: 'e-mail {id} annulé' },
  released: { en: '{n} held e-mail(s) released', fr: `{n}${NB}e-mail(s) retenu(s) libéré(s)` },
  purged: { en: '{n} finished e-mail(s) purged', fr: `{n}${NB}e-mail(s) terminé(s) supprimé(s)` },
  // settings show
  setOn: { en: '(set on {at})', fr: '(défini le {at})' },
  notSet: { en: '(not set)', fr: '(non défini)' },
  empty: { en: '(empty)', fr: '(vide)' },
  certificate: { en: '{subject} (issued by {issuer}, expires {at})', fr: '{subject} (délivré par {issuer}, expire le {at})' },
  warning: { en: 'warning: {key}: {message}', fr: `avertissement${NB}: {key}${NB}: {message}` },
  incomplete: {
    en: 'Configuration incomplete: nothing is sent until this is fixed (e-mails wait, none is lost):',
    fr: `Configuration incomplète${NB}: rien n’est envoyé tant que ce n’est pas corrigé (les e-mails attendent, aucun n’est perdu)${NB}:`,
  },
  complete: { en: 'Configuration complete.', fr: 'Configuration complète.' },
  // status
  emails: { en: 'e-mails: {counts}', fr: `e-mails${NB}: {counts}` },
  problem: { en: 'problem: {key}: {message}', fr: `problème${NB}: {key}${NB}: {message}` },
  noProcess: { en: 'sending process: none running (start one with: postroom serve)', fr: `processus d’envoi${NB}: aucun ne tourne (en démarrer un avec${NB}: postroom serve)` },
  alive: { en: 'sending process {id}: alive, last heard {at}', fr: `processus d’envoi {id}${NB}: vivant, dernier signe {at}` },
  lastCampaign: { en: '  last campaign {at}: {outcome}', fr: `  dernière campagne {at}${NB}: {outcome}` },
  disabled: { en: 'sending is disabled (settings set enabled=true)', fr: 'l’envoi est désactivé (settings set enabled=true)' },
  outcomeIncomplete: { en: 'configuration incomplete: {problems}', fr: `configuration incomplète${NB}: {problems}` },
  routeFailing: { en: 'route failing, e-mails wait: {why}', fr: `le mode d’envoi échoue, les e-mails attendent${NB}: {why}` },
  campaignFailed: { en: 'campaign failed: {message}', fr: `la campagne a échoué${NB}: {message}` },
  ran: { en: 'claimed {claimed}: sent {sent}, retrying {retrying}, failed {failed}', fr: `{claimed}${NB}pris${NB}: {sent}${NB}envoyés, {retrying}${NB}à réessayer, {failed}${NB}en échec` },
  stoppedBy: { en: '; stopped: {why}', fr: `${NB}; arrêtée${NB}: {why}` },
} satisfies Record<string, Phrase>;

/** An e-mail status as the console names it in French (the code stays what --status takes). */
const STATUS_FR: Record<string, string> = {
  pending: 'en attente', sending: 'en cours d’envoi', sent: 'envoyé', error: 'en erreur', failed: 'échec', held: 'suspendu', cancelled: 'annulé', bounced: 'revenu en erreur',
};
export const statusWord = (status: string): string => (terminalLanguage() === 'fr' ? (STATUS_FR[status] ?? status) : status);

/** A CLI phrase in the terminal's language. */
export const word = (p: Phrase, values: Record<string, string | number> = {}): string => sayIn(terminalLanguage(), p, values);

/** A sentence Postroom wrote (a route's failure, why an e-mail waits) in the terminal's language. */
export const worded = (text: string): string => translate(text, terminalLanguage());

/** A text without slots (a command's help) in the terminal's language. */
export const text = (p: Phrase | string): string => (typeof p === 'string' ? p : p[terminalLanguage()]);

/** Usage mistakes: what was typed and what to type instead. */
export const USAGE = {
  unknownCommand: { en: 'unknown command "{command}"{guess?} (postroom help lists the commands)', fr: `commande inconnue «${NB}{command}${NB}»{guess?} (postroom help liste les commandes)` },
  didYouMean: { en: ' — did you mean {guess}?', fr: ` — vouliez-vous dire {guess}${NB}?` },
  parse: { en: '{command}: {why} (postroom {command} --help lists the options)', fr: `{command}${NB}: {why} (postroom {command} --help liste les options)` },
  giveId: { en: 'give the {what} ID (a number){typed?}', fr: 'donnez l’ID {what} (un nombre){typed?}' },
  notTyped: { en: ', not {typed}', fr: ', pas {typed}' },
  wholeNumber: { en: '{name} {typed}: must be a whole number of at least 1', fr: `{name} {typed}${NB}: doit être un nombre entier d’au moins 1` },
  unknownSub: { en: 'unknown subcommand {typed}; ', fr: `sous-commande inconnue {typed}${NB}; ` },
  queueUse: { en: 'queue: {unknown?}use list, show, retry, cancel, release-held or purge (postroom queue --help)', fr: `queue${NB}: {unknown?}utilisez list, show, retry, cancel, release-held ou purge (postroom queue --help)` },
  settingsUse: { en: 'settings: {unknown?}use get, set, preset or audit (postroom settings --help)', fr: `settings${NB}: {unknown?}utilisez get, set, preset ou audit (postroom settings --help)` },
  tokenUse: { en: 'token: {unknown?}use create NAME, list or revoke ID (postroom token --help)', fr: `token${NB}: {unknown?}utilisez create NOM, list ou revoke ID (postroom token --help)` },
  adminUse: { en: 'admin: use "admin password"', fr: `admin${NB}: utilisez «${NB}admin password${NB}»` },
  webhookUse: { en: 'webhook: use add URL, list, remove ID or log ID', fr: `webhook${NB}: utilisez add URL, list, remove ID ou log ID` },
  listStatus: { en: 'queue list: --status {typed}: must be one of {statuses}', fr: `queue list${NB}: --status {typed}${NB}: doit être l’un de {statuses}` },
  retryWhat: { en: 'queue retry: give an e-mail ID, or --status {statuses} [--since TIME]{not?}', fr: `queue retry${NB}: donnez l’ID d’un e-mail, ou --status {statuses} [--since DATE]{not?}` },
  notStatus: { en: ' (not {typed})', fr: ' (pas {typed})' },
  sinceNotTime: { en: '--since {typed}: not a time (e.g. 2026-12-01T08:00:00Z)', fr: `--since {typed}${NB}: n’est pas une date (par exemple 2026-12-01T08:00:00Z)` },
  subjectRequired: { en: 'send: --subject is required (postroom send --help)', fr: `send${NB}: --subject est obligatoire (postroom send --help)` },
  headerForm: { en: 'send: --header {typed}: is not "Name: value"', fr: `send${NB}: --header {typed}${NB}: n’est pas de la forme «${NB}Nom: valeur${NB}»` },
  cannotRead: { en: '{command} {typed}: cannot read the file ({code})', fr: `{command} {typed}${NB}: impossible de lire le fichier ({code})` },
  batchOthers: { en: 'send --batch: each line of the file is one e-mail; {option} is not taken with it', fr: `send --batch${NB}: chaque ligne du fichier est un e-mail${NB}; {option} n’est pas accepté avec --batch` },
  setNothing: { en: 'settings set: give at least one KEY=VALUE (postroom settings set --help)', fr: `settings set${NB}: donnez au moins une CLÉ=VALEUR (postroom settings set --help)` },
  notPair: { en: 'settings set: {typed} is not KEY=VALUE', fr: `settings set${NB}: {typed} n’est pas de la forme CLÉ=VALEUR` },
  unknownSetting: { en: 'unknown setting {key}{guess?} (postroom settings get lists them)', fr: `paramètre inconnu {key}{guess?} (postroom settings get les liste)` },
  presetName: { en: 'settings preset: name one of {presets}', fr: `settings preset${NB}: nommez l’un de {presets}` },
  tokenName: { en: 'token create: give the token a NAME (the host application it is for)', fr: `token create${NB}: donnez un NOM au jeton (l’application hôte à qui il est destiné)` },
  noToken: { en: 'no active token {id}', fr: 'aucun jeton actif {id}' },
  webhookUrl: { en: 'webhook add: give the receiver URL (and --event TYPE to limit the events)', fr: `webhook add${NB}: donnez l’URL du destinataire (et --event TYPE pour limiter les événements)` },
  // node's parseArgs, read back (its first line).
  unknownOption: { en: "Unknown option '{option}'", fr: `option inconnue {option}` },
  missingValue: { en: "Option '{option}' argument missing", fr: `il manque la valeur de l’option {option}` },
  noValueTaken: { en: "Option '{option}' does not take an argument", fr: `l’option {option} ne prend pas de valeur` },
  unexpected: { en: "Unexpected argument '{typed}'", fr: `argument inattendu «${NB}{typed}${NB}»` },
} satisfies Record<string, Phrase>;

/** What the commands say once they did something (confirmations, notices, lists). */
export const SAID = {
  passwordPrompt: { en: 'New password for admin (input is not hidden; or pipe it in): ', fr: `Nouveau mot de passe pour admin (la saisie n’est pas masquée${NB}; ou passez-le par un tube)${NB}: ` },
  passwordSet: { en: 'password of admin set; every open session was signed out', fr: `mot de passe d’admin défini${NB}; toutes les sessions ouvertes ont été fermées` },
  tokenCreated: {
    en: 'token {id} "{name}" created: this is the only time it is shown; send it as "Authorization: Bearer <token>"',
    fr: `jeton {id} «${NB}{name}${NB}» créé${NB}: c’est la seule fois qu’il est affiché${NB}; envoyez-le dans l’en-tête «${NB}Authorization: Bearer <jeton>${NB}»`,
  },
  noTokens: { en: 'no tokens', fr: 'aucun jeton' },
  tokenLine: { en: '{id}  {prefix}…  {name}  created {at} by {by}  {state}', fr: '{id}  {prefix}…  {name}  créé le {at} par {by}  {state}' },
  revokedAt: { en: 'revoked {at}', fr: 'révoqué le {at}' },
  lastUsed: { en: 'last used {at}', fr: 'dernière utilisation {at}' },
  lastUsedNever: { en: 'last used never', fr: 'jamais utilisé' },
  tokenRevoked: { en: 'token {id} revoked', fr: 'jeton {id} révoqué' },
  saved: { en: 'saved {keys}', fr: `enregistré${NB}: {keys}` },
  note: { en: 'note: {message}', fr: `remarque${NB}: {message}` },
  // settings/bindings.ts clearedMessage, worded from its key and the settings that changed.
  cleared: {
    en: '{key} was cleared because {because} changed: it was saved for the old value, so it is never sent elsewhere or less protected; enter it again',
    fr: `{key} a été effacé parce que {because} a changé${NB}: il avait été enregistré pour l’ancienne valeur, afin de n’être jamais envoyé ailleurs ni moins protégé${NB}; saisissez-le à nouveau`,
  },
  presetApplied: { en: 'applied preset {name}: {values}', fr: `préréglage {name} appliqué${NB}: {values}` },
  next: { en: 'next: {next}', fr: `ensuite${NB}: {next}` },
  standardInput: { en: '(standard input)', fr: '(entrée standard)' },
  secretChanged: { en: '(secret changed)', fr: '(secret modifié)' },
  queued: { en: 'queued e-mail {id} ({status}) {messageId}{scheduled?}', fr: 'e-mail {id} mis en file d’attente ({status}) {messageId}{scheduled?}' },
  scheduled: { en: ', scheduled for {at}', fr: ', programmé pour {at}' },
  duplicate: {
    en: 'e-mail {id} was already handed over with this idempotency key ({status}); nothing new queued',
    fr: `l’e-mail {id} a déjà été remis avec cette clé d’idempotence ({status})${NB}; rien de nouveau n’est mis en file d’attente`,
  },
  batchSummary: {
    en: '{total} e-mails in {file}: {queued} queued, {duplicates} already handed over (same idempotency key), {refused} refused',
    fr: `{total}${NB}e-mails dans {file}${NB}: {queued}${NB}mis en file d’attente, {duplicates}${NB}déjà remis (même clé d’idempotence), {refused}${NB}refusés`,
  },
  batchLine: { en: '  line {line}: {reason}', fr: `  ligne {line}${NB}: {reason}` },
  batchMore: { en: '  … and {n} more (--json lists every one)', fr: `  … et {n}${NB}autres (--json les liste tous)` },
  notJson: { en: 'is not JSON ({error})', fr: 'n’est pas du JSON ({error})' },
  webhookAdded: {
    en: "webhook {id} added for {url} ({events}): the secret above is shown only now; check each request's Postroom-Signature with it",
    fr: `webhook {id} ajouté pour {url} ({events})${NB}: le secret ci-dessus n’est affiché que maintenant${NB}; vérifiez avec lui l’en-tête Postroom-Signature de chaque requête`,
  },
  noWebhooks: { en: 'no webhooks', fr: 'aucun webhook' },
  webhookRemoved: { en: 'webhook {id} removed', fr: 'webhook {id} supprimé' },
  noDeliveries: { en: 'no deliveries yet', fr: 'aucun envoi pour l’instant' },
  deliveryLine: { en: '{at}  {event}  {type} e-mail {email}  {status}  attempts {attempts}  last {last} {body}', fr: '{at}  {event}  {type} e-mail {email}  {status}  tentatives {attempts}  dernière réponse {last} {body}' },
  webhookDisabled: { en: 'DISABLED {at}: {why}', fr: `DÉSACTIVÉ le {at}${NB}: {why}` },
  failingSince: { en: 'failing since {at}', fr: 'en échec depuis le {at}' },
  active: { en: 'active', fr: 'actif' },
  privateAllowed: { en: '{url} (private address allowed)', fr: '{url} (adresse privée autorisée)' },
  allEmails: { en: 'all e-mails', fr: 'tous les e-mails' },
  emailsOf: { en: 'e-mails of {owner}', fr: 'e-mails de {owner}' },
  cannotListen: { en: 'cannot listen on {where}: {why}', fr: `impossible d’écouter sur {where}${NB}: {why}` },
  setupLink: {
    en: '\nPostroom has no administrator password yet.\nOpen this link in your browser to choose one (it works once, for 24 hours or until the next start):\n\n    {link}\n\nOr set it from a terminal: postroom admin password\n\n',
    fr: `\nPostroom n’a pas encore de mot de passe d’administrateur.\nOuvrez ce lien dans votre navigateur pour en choisir un (il ne sert qu’une fois, pendant 24${NB}heures ou jusqu’au prochain démarrage)${NB}:\n\n    {link}\n\nOu définissez-le depuis un terminal${NB}: postroom admin password\n\n`,
  },
} satisfies Record<string, Phrase>;

/** What to do after a preset, in French as the console words it (web/src/i18n/fr.json presetText). */
const PRESET_NEXT_FR: Record<string, string> = {
  'exchange365-oauth': 'renseignez l’ID de locataire, l’ID client, le secret client et la boîte aux lettres du postmaster',
  graph: 'renseignez l’ID de locataire, l’ID client, le secret client et la boîte aux lettres du postmaster',
  'google-workspace': 'renseignez l’utilisateur SMTP (le compte Google) et le mot de passe SMTP (un mot de passe d’application, pas celui du compte)',
  'google-service-account': 'enregistrez la clé du compte de service (JSON) et la boîte du postmaster, et accordez la délégation au niveau du domaine à l’ID client affiché',
  'google-relay':
    'autorisez l’adresse IP publique de ce serveur dans le service de relais SMTP de la console d’administration (laissez alors l’utilisateur SMTP vide), ou exigez-y l’authentification SMTP et indiquez l’utilisateur SMTP et un mot de passe d’application',
};
export const presetNext = (name: string, english: string): string => (terminalLanguage() === 'fr' ? (PRESET_NEXT_FR[name] ?? english) : english);

/**
 * Postroom's refusals the CLI prints (an e-mail that does not exist or cannot take the action, a
 * refused hand-over or webhook): registered, so that worded() reads them back from their English.
 */
export const REFUSALS = catalogue({
  notFound: { en: 'e-mail {id} does not exist', fr: 'l’e-mail {id} n’existe pas' },
  notRetried: { en: 'e-mail {id} is {status}: only {allowed} e-mails can be retried', fr: `l’e-mail {id} a le statut {status}${NB}: seuls les e-mails au statut {allowed} peuvent être renvoyés` },
  notCancelled: { en: 'e-mail {id} is {status}: only {allowed} e-mails can be cancelled', fr: `l’e-mail {id} a le statut {status}${NB}: seuls les e-mails au statut {allowed} peuvent être annulés` },
  emailRefused: { en: 'e-mail refused, nothing stored: {detail}', fr: `e-mail refusé, rien n’est enregistré${NB}: {detail}` },
  webhookRefused: { en: 'webhook refused, nothing stored: {detail}', fr: `webhook refusé, rien n’est enregistré${NB}: {detail}` },
  // An address option typed (--to, --cc, --bcc), named without its dashes.
  noAddress: { en: '--{option} {typed}: no e-mail address in it', fr: `--{option} {typed}${NB}: aucune adresse e-mail` },
  notAddress: { en: '--{option} {typed}: is not a valid e-mail address ({detail})', fr: `--{option} {typed}${NB}: n’est pas une adresse e-mail valide ({detail})` },
  notAddressIn: { en: '--{option} {typed} ({inner} in it): is not a valid e-mail address ({detail})', fr: `--{option} {typed} (dont {inner})${NB}: n’est pas une adresse e-mail valide ({detail})` },
  noAt: { en: 'no @ in it: write alice@example.org or "Alice <alice@example.org>"', fr: `pas de @${NB}: écrivez alice@example.org ou «${NB}Alice <alice@example.org>${NB}»` },
  isEmpty: { en: 'it is empty: write alice@example.org or "Alice <alice@example.org>"', fr: `elle est vide${NB}: écrivez alice@example.org ou «${NB}Alice <alice@example.org>${NB}»` },
  tooLong: { en: 'it is longer than 254 characters', fr: `elle dépasse 254${NB}caractères` },
  hasSpace: { en: 'it contains a space', fr: 'elle contient une espace' },
  twoAts: { en: 'it has more than one @', fr: 'elle contient plus d’un @' },
  nothingBefore: { en: 'nothing before the @', fr: 'rien avant le @' },
  noDomain: { en: 'no domain after the @', fr: 'pas de domaine après le @' },
  noDot: { en: 'the domain "{domain}" has no dot: a full domain such as example.org is needed', fr: `le domaine «${NB}{domain}${NB}» n’a pas de point${NB}: il faut un domaine complet comme example.org` },
  badDomain: { en: '"{domain}" is not a valid domain name', fr: `«${NB}{domain}${NB}» n’est pas un nom de domaine valide` },
  badDots: { en: '"{local}" may not start or end with a dot or hold two dots in a row', fr: `«${NB}{local}${NB}» ne peut ni commencer ni finir par un point, ni contenir deux points de suite` },
  badCharacter: { en: '"{local}" holds a character an address may not have', fr: `«${NB}{local}${NB}» contient un caractère interdit dans une adresse` },
  passwordShort: { en: 'the password must be at least {n} characters long', fr: `le mot de passe doit compter au moins {n}${NB}caractères` },
  passwordLong: { en: 'the password must be at most {n} characters long', fr: `le mot de passe doit compter au plus {n}${NB}caractères` },
  // A refused field of a hand-over or a webhook (queue/input.ts, webhooks/), the field named apart.
  noSender: { en: 'no sender: name a user, or set the Mail postmaster first', fr: `pas d’expéditeur${NB}: nommez un utilisateur, ou définissez d’abord le postmaster dans Configuration > E-mail` },
  invalidAddress: { en: 'is not a valid e-mail address ({detail})', fr: 'n’est pas une adresse e-mail valide ({detail})' },
  bodyRequired: { en: 'text or html is required', fr: 'text ou html est obligatoire' },
  recipientRequired: { en: 'at least one recipient (to, cc or bcc) is required', fr: 'au moins un destinataire (to, cc ou bcc) est obligatoire' },
  tooLongBody: { en: 'is too long', fr: 'est trop long' },
  headerName: { en: 'is not a valid header name', fr: 'n’est pas un nom d’en-tête valide' },
  reservedHeader: { en: 'is set by Postroom and cannot be given', fr: 'est défini par Postroom et ne peut pas être donné' },
  notDateTime: { en: 'is not an ISO 8601 date-time with Z or an offset (2026-12-24T09:00:00Z)', fr: 'n’est pas une date et heure ISO 8601 avec Z ou un décalage (2026-12-24T09:00:00Z)' },
  tooFarAhead: { en: 'is more than {n} days ahead', fr: `est à plus de {n}${NB}jours` },
  notUrl: { en: 'is not a URL', fr: 'n’est pas une URL' },
  privateTarget: {
    en: '{address} is a private or loopback address{carried?} (an administrator may allow it for one webhook: allowPrivateTarget)',
    fr: `{address} est une adresse privée ou de bouclage{carried?} (un administrateur peut l’autoriser pour un webhook${NB}: allowPrivateTarget)`,
  },
});
