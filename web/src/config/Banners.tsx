// What stops sending (problems) and what needs attention soon (warnings), at the top of the
// screen. The problems banner says plainly that e-mails are kept while it shows.
import { useTranslation } from 'react-i18next';
import type { FieldInfo, Problem } from '../types';
import { fieldLabel } from './fieldText';

const labelOf = (fields: FieldInfo[], key: string) => {
  const field = fields.find((f) => f.key === key);
  return field ? fieldLabel(field) : key;
};

export function ProblemsBanner({ problems, warnings, fields, enabled }: { problems: Problem[]; warnings: Problem[]; fields: FieldInfo[]; enabled: boolean }) {
  const { t } = useTranslation();
  return (
    <>
      {problems.length > 0 && (
        <section className="banner problems" role="alert" aria-labelledby="problems-title">
          <h2 id="problems-title">{t('banner.incompleteTitle')}</h2>
          <p>{t('banner.incompleteText')}</p>
          <ul>
            {problems.map((p) => (
              <li key={p.key + p.message}>
                <a href={`#field-${p.key}`}>{labelOf(fields, p.key)}</a>
                {t('common.colon')}
                {p.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {problems.length === 0 && !enabled && (
        <section className="banner paused" role="status">
          <p>{t('banner.paused', { label: labelOf(fields, 'enabled') })}</p>
        </section>
      )}
      {warnings.length > 0 && (
        <section className="banner warnings" role="status" aria-label={t('banner.warnings')}>
          <ul>
            {warnings.map((w) => (
              <li key={w.key + w.message}>
                <a href={`#field-${w.key}`}>{labelOf(fields, w.key)}</a>
                {t('common.colon')}
                {w.message}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
