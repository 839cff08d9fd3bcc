// The console's languages: English and French message catalogues (en.json, fr.json), the choice
// (remembered, else the browser's language), and dates and numbers written in that language.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import fr from './fr.json';

export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'postroom.language';

const isLanguage = (l: string | null | undefined): l is Language => (LANGUAGES as readonly string[]).includes(l ?? '');

/** The remembered choice, else the first of the browser's languages the console speaks, else English. */
export function initialLanguage(): Language {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be refused (private mode, policies): the browser's language still applies.
  }
  if (isLanguage(saved)) return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, fr: { translation: fr } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  // React escapes what it renders; escaping here too would show &amp; and the like.
  interpolation: { escapeValue: false },
  returnNull: false,
});

const markDocument = (lng: string) => {
  document.documentElement.lang = lng;
};
markDocument(i18next.language);
i18next.on('languageChanged', markDocument);

export function setLanguage(lng: Language): void {
  try {
    localStorage.setItem(STORAGE_KEY, lng);
  } catch {
    // Not remembered, but the switch still applies to this visit.
  }
  void i18next.changeLanguage(lng);
}

export const currentLanguage = (): Language => (isLanguage(i18next.language) ? i18next.language : 'en');

/** The browser's own variant of the chosen language (en-GB, fr-CA…) for dates and numbers, else the language. */
function formatLocale(): string {
  const lang = currentLanguage();
  return (navigator.languages ?? [navigator.language]).find((tag) => tag.toLowerCase().split('-')[0] === lang) ?? lang;
}

/** A moment as the chosen language writes it (date and time), or a dash when there is none. */
export function dateTimeText(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  return new Intl.DateTimeFormat(formatLocale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso));
}

/** A day (a certificate's expiry), as the chosen language writes it. */
export const dateText = (iso: string): string => new Intl.DateTimeFormat(formatLocale(), { dateStyle: 'medium' }).format(new Date(iso));

/** An hour of the day (the outbox chart's axis). */
export const hourText = (iso: string): string =>
  new Intl.DateTimeFormat(formatLocale(), { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

export const numberText = (n: number): string => new Intl.NumberFormat(formatLocale()).format(n);

export default i18next;
