// The language a terminal asks for, by the POSIX locale variables: LC_ALL, then LC_MESSAGES, then
// LANG (the first one set wins); French when it names French, English otherwise.
import type { Language } from './phrases.js';

export function terminalLanguage(env: NodeJS.ProcessEnv = process.env): Language {
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '') ?? '';
  return /^fr([_.@-]|$)/i.test(locale) ? 'fr' : 'en';
}
