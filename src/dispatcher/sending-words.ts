// The sending state in the console's language: Postroom's own fixed phrases (why it stopped, what
// makes it resume) in French, the route's failure too; a server's reply inside stays as written.
import { translateMessage } from '../settings/index.js';
import { translate } from '../transports/index.js';
import { resumesInFrench, type SendingState } from './sending-state.js';

type Language = 'en' | 'fr';

function reasonInFrench(english: string): string {
  if (english === 'sending is disabled') return 'l’envoi est désactivé';
  if (english === 'no sending process is running') return 'aucun processus d’envoi ne tourne';
  const incomplete = /^the configuration is incomplete: (.+)$/.exec(english);
  if (incomplete?.[1]) return `la configuration est incomplète\u00a0: ${incomplete[1].split('; ').map((p) => translateMessage(p, 'fr')).join('\u00a0; ')}`;
  const database = /^the database could not be used: (.+)$/.exec(english);
  // The database's own words stay as it wrote them.
  if (database?.[1]) return `la base de données n’a pas pu être utilisée\u00a0: ${database[1]}`;
  // The route's failure, as the transports wrote it.
  return translate(english, 'fr');
}

export function sendingIn(state: SendingState, lang: Language): SendingState {
  if (lang === 'en') return state;
  return { ...state, reason: state.reason === null ? null : reasonInFrench(state.reason), resumesWhen: state.resumesWhen === null ? null : (resumesInFrench(state.resumesWhen) ?? state.resumesWhen) };
}
