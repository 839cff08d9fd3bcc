// Who changed which setting when. A secret's value is never kept: the log says it changed.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import type { AuditEntry } from '../types';
import i18next, { dateTimeText } from '../i18n';

const shown = (v: unknown) => (v === null || v === undefined || v === '' ? i18next.t('common.empty') : typeof v === 'string' ? v : JSON.stringify(v));

export function AuditPage() {
  const { t } = useTranslation();
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    call<AuditEntry[]>('GET', '/audit?limit=500').then(setEntries, (e: unknown) => setError(errorText(e)));
  }, []);
  return (
    <div className="audit">
      <h1>{t('audit.title')}</h1>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('audit.when')}</th>
              <th scope="col">{t('audit.who')}</th>
              <th scope="col">{t('presets.setting')}</th>
              <th scope="col">{t('audit.before')}</th>
              <th scope="col">{t('presets.after')}</th>
            </tr>
          </thead>
          <tbody>
            {entries?.map((e) => (
              <tr key={e.id}>
                <td>{dateTimeText(e.at)}</td>
                <td>{e.actor}</td>
                <td>{e.key}</td>
                <td>{e.secret ? t('audit.secret') : shown(e.oldValue)}</td>
                <td>{e.secret ? t('audit.secretChanged') : shown(e.newValue)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {entries && entries.length === 0 && <p>{t('audit.none')}</p>}
      </div>
    </div>
  );
}
