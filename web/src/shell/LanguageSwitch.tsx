// The language of the console, switchable at any time (header and sign-in page) and remembered
// in this browser; each language's name is written in that language.
import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage, type Language } from '../i18n';

/** `compact`: the label is for screen readers only (the header, where the select's "English" or "Français" says enough). */
export function LanguageSwitch({ compact = false }: { compact?: boolean }) {
  const { t, i18n } = useTranslation();
  return (
    <span className="language">
      <label htmlFor="language" className={compact ? 'visually-hidden' : undefined}>{t('language.label')}</label>
      <select id="language" value={i18n.language} onChange={(e) => setLanguage(e.target.value as Language)}>
        {LANGUAGES.map((l) => (
          <option key={l} value={l} lang={l}>
            {t(`language.${l}`, { lng: l })}
          </option>
        ))}
      </select>
    </span>
  );
}
