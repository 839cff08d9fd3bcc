// A setup guide: numbered steps, each linked to the settings it fills on Configuration > Email.
import { useTranslation } from 'react-i18next';
import { Link } from '../router';
import { GUIDES } from './content';

export function GuidePage({ name }: { name: string }) {
  const { t } = useTranslation();
  const guide = GUIDES.find((g) => g.name === name);
  return (
    <div className="guide">
      <nav aria-label={t('guides.nav')} className="tabs">
        {GUIDES.map((g) => (
          <Link key={g.name} href={`/guides/${g.name}`} aria-current={g.name === name ? 'page' : undefined}>
            {t(`guides.${g.name}.title`)}
          </Link>
        ))}
      </nav>
      {!guide ? (
        <p>{t('guides.none', { name })}</p>
      ) : (
        <article>
          <h1>{t(`guides.${guide.name}.title`)}</h1>
          <p>{t(`guides.${guide.name}.intro`)}</p>
          <ol className="steps">
            {guide.steps.map((s, i) => (
              <li key={i}>
                <p>{t(`guides.steps.${s.text}`)}</p>
                {s.code && (
                  // Focusable: a long command scrolls sideways, and a keyboard must reach it (WCAG 2.1.1).
                  <pre tabIndex={0}>
                    <code>{s.code}</code>
                  </pre>
                )}
                {s.fills && (
                  <p className="fills">
                    {t('guides.fills')}{' '}
                    {s.fills.map((key, j) => (
                      <span key={key}>
                        {j > 0 && ', '}
                        <Link href={`/config/email#field-${key}`}>{key}</Link>
                      </span>
                    ))}
                  </p>
                )}
              </li>
            ))}
          </ol>
        </article>
      )}
    </div>
  );
}
