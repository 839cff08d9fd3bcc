// What the `postroom` command prints for a person, English and French side by side; the terminal's
// locale (LC_ALL, LC_MESSAGES, LANG) chooses. Stored text and servers' replies keep their words.
import { sayIn, terminalLanguage, translate, type Phrase } from '../i18n/index.js';

const NB = '\u00a0';

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
