// The sending state in the console's language: Postroom's own phrases (why it stopped, what makes
// it resume, the route's failure) from their catalogues; a server's reply inside stays as written.
import { translate, type Language } from '../i18n/index.js';
import { translateMessage } from '../settings/index.js';
import type { SendingState } from './sending-state.js';

function reasonIn(english: string, lang: Language): string {
  // The configuration's problems are the settings' messages, worded by their own catalogue.
  const incomplete = /^the configuration is incomplete: (.+)$/.exec(english);
  if (incomplete?.[1] && lang === 'fr') return `la configuration est incomplète\u00a0: ${incomplete[1].split('; ').map((p) => translateMessage(p, 'fr')).join('\u00a0; ')}`;
  return translate(english, lang);
}

export function sendingIn(state: SendingState, lang: Language): SendingState {
  if (lang === 'en') return state;
  return { ...state, reason: state.reason === null ? null : reasonIn(state.reason, lang), resumesWhen: state.resumesWhen === null ? null : translate(state.resumesWhen, lang) };
}
