// Postroom's languages at run time: the phrase catalogues (English and French side by side) and
// the language a terminal asks for.
export { catalogue, MAX_TRANSLATED_CHARS, NB, register, registered, say, sayIn, translate, type Language, type Phrase } from './phrases.js';
export { terminalLanguage } from './terminal.js';
