// The sending state in the console's language: Postroom's own fixed phrases (why it stopped, what
// makes it resume) in French; a server's reply inside a reason stays as the server wrote it.
import { translateMessage } from '../settings/index.js';
import type { SendingState } from './sending-state.js';

type Language = 'en' | 'fr';

// The BLAME fixes and the other resumesWhen of sending-state.ts, word for word.
const RESUMES: Record<string, string> = {
  'a sending process starts (postroom serve)': 'un processus d’envoi démarre (postroom serve)',
  '"Process for sending emails enabled" is checked': '«\u00a0Processus d’envoi des e-mails activé\u00a0» est cochée',
  'the configuration problems are fixed': 'les problèmes de configuration sont corrigés',
  'the database answers again (nothing to change)': 'la base de données répond de nouveau (rien à changer)',
  'the route works again, or the settings change': 'le mode d’envoi fonctionne de nouveau, ou les réglages changent',
  'the server offers STARTTLS, or the STARTTLS setting matches what it offers': 'le serveur propose STARTTLS, ou le réglage STARTTLS correspond à ce qu’il propose',
  'the connection is encrypted (STARTTLS or port 465)': 'la connexion est chiffrée (STARTTLS ou port 465)',
  "the server's certificate is trusted (its CA in \"SMTP server's CA certificate\") and names the host": 'le certificat du serveur est reconnu (son AC dans «\u00a0Certificat de l’AC du serveur SMTP\u00a0») et nomme l’hôte',
  'the Microsoft app credentials are accepted': 'les identifiants de l’application Microsoft sont acceptés',
  'the server accepts the SMTP user and password': 'le serveur accepte l’utilisateur et le mot de passe SMTP',
  'the server lets this login send as the postmaster': 'le serveur permet à cet identifiant d’envoyer en tant que postmaster',
  'the server can be reached and answers': 'le serveur est joignable et répond',
};

function resumesInFrench(english: string): string {
  const direct = RESUMES[english];
  if (direct) return direct;
  const blamed = /^(.+), or the settings change$/.exec(english);
  const fix = blamed?.[1] ? RESUMES[blamed[1]] : undefined;
  return fix ? `${fix}, ou les réglages changent` : english;
}

function reasonInFrench(english: string): string {
  if (english === 'sending is disabled') return 'l’envoi est désactivé';
  if (english === 'no sending process is running') return 'aucun processus d’envoi ne tourne';
  const incomplete = /^the configuration is incomplete: (.+)$/.exec(english);
  if (incomplete?.[1]) return `la configuration est incomplète\u00a0: ${incomplete[1].split('; ').map((p) => translateMessage(p, 'fr')).join('\u00a0; ')}`;
  const database = /^the database could not be used: (.+)$/.exec(english);
  // The database's own words stay as it wrote them.
  if (database?.[1]) return `la base de données n’a pas pu être utilisée\u00a0: ${database[1]}`;
  return english;
}

export function sendingIn(state: SendingState, lang: Language): SendingState {
  if (lang === 'en') return state;
  return { ...state, reason: state.reason === null ? null : reasonInFrench(state.reason), resumesWhen: state.resumesWhen === null ? null : resumesInFrench(state.resumesWhen) };
}
