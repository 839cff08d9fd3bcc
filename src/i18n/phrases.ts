// Postroom's run-time sentences, English and French side by side: a sentence is written in English
// (stored, logged, answered) and read back in French for a French reader, from its catalogue.
// A value inside a sentence (a host, an address, the server's own reply) keeps its words.

export type Language = 'en' | 'fr';

/** The no-break space French typography puts before : ; ? ! and inside « ». */
export const NB = '\u00a0';

/** One sentence with {name} slots; a slot named with a trailing ? may be empty. */
export interface Phrase {
  en: string;
  fr: string;
}

/** Slots that hold one word (a host:port, an address, a protocol): they never span a space. */
const WORD_SLOTS = new Set(['where', 'user', 'sender', 'recipient', 'protocol', 'tenant', 'scope', 'id', 'seconds', 'at']);
/** Slots that hold another of Postroom's sentences: read back in French too. */
const NESTED_SLOTS = new Set(['why', 'advice', 'hint', 'help', 'forUser', 'during', 'step', 'detail', 'credential', 'base', 'resumes', 'tls']);

/** Slots that open a sentence and may hold parentheses themselves: read as far as they can go. */
const GREEDY_SLOTS = new Set(['why']);

const SLOT = /\{(\w+)(\??)\}/g;

/** The phrase's English with its slots filled; a missing value leaves the slot empty. */
export function say(phrase: Phrase, values: Record<string, string | number> = {}): string {
  return phrase.en.replace(SLOT, (_, name: string) => String(values[name] ?? ''));
}

/** The same in French, for a caller that has the values at hand. */
export function sayIn(lang: Language, phrase: Phrase, values: Record<string, string | number> = {}): string {
  return lang === 'en' ? say(phrase, values) : fill(phrase.fr, values, lang);
}

function fill(template: string, values: Record<string, string | number>, lang: Language): string {
  return template.replace(SLOT, (_, name: string) => {
    const v = String(values[name] ?? '');
    return NESTED_SLOTS.has(name) ? translate(v, lang) : v;
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Reader {
  phrase: Phrase;
  names: string[];
  pattern: RegExp;
  /** Characters of fixed text: the more a phrase fixes, the more particular it is. */
  fixed: number;
}

function readerOf(phrase: Phrase): Reader {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const m of phrase.en.matchAll(SLOT)) {
    source += escape(phrase.en.slice(last, m.index));
    const name = m[1] ?? '';
    names.push(name);
    source += WORD_SLOTS.has(name) ? (m[2] ? '(\\S*)' : '(\\S+)') : GREEDY_SLOTS.has(name) ? '(.+)' : m[2] ? '(.*?)' : '(.+?)';
    last = (m.index ?? 0) + m[0].length;
  }
  source += escape(phrase.en.slice(last));
  return { phrase, names, pattern: new RegExp(`^${source}$`, 's'), fixed: phrase.en.replace(SLOT, '').length };
}

const readers: Reader[] = [];

/**
 * Makes phrases readable back from their English. A sentence is read by the most particular
 * phrase that matches it whole (the one with the most fixed text), whatever the order of modules.
 */
export function register(...phrases: Phrase[]): void {
  for (const p of phrases) readers.push(readerOf(p));
  readers.sort((a, b) => b.fixed - a.fixed);
}

/** Registers every phrase of a catalogue object; returns it, typed. */
export function catalogue<T extends Record<string, Phrase>>(phrases: T): T {
  register(...Object.values(phrases));
  return phrases;
}

/** Every registered phrase, for the tests that keep the catalogues honest. */
export const registered = (): Phrase[] => readers.map((r) => r.phrase);

/**
 * Longer sentences are left as they are. Postroom's own are short; a long one holds a server's
 * reply of that length (RFC 5321 allows 512 octets a line; a hostile relay sends 64 KB), and
 * reading it back costs time that grows with the square of its length (0.65 s at 64 KB): an
 * e-mail list read in French must not let a relay stall the server.
 */
export const MAX_TRANSLATED_CHARS = 4096;

/** A sentence Postroom wrote, in the language asked; one it cannot read stays as it is. */
export function translate(text: string, lang: Language): string {
  if (lang === 'en' || !text || text.length > MAX_TRANSLATED_CHARS) return text;
  for (const r of readers) {
    const m = r.pattern.exec(text);
    if (!m) continue;
    const values: Record<string, string> = {};
    r.names.forEach((n, i) => (values[n] = m[i + 1] ?? ''));
    return fill(r.phrase.fr, values, lang);
  }
  return text;
}
