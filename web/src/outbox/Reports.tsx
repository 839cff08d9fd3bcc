// The delivery reports matched to an e-mail: when each came, how it named the e-mail, what it said
// of each recipient, and on request the report as it was received (its first 64 KiB).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import type { DeliveryReport } from '../types';
import { timeText } from './format';
import { ServerWords } from '../shell/ServerWords';

export function Reports({ emailId, reports }: { emailId: number; reports: DeliveryReport[] }) {
  const { t } = useTranslation();
  const [raw, setRaw] = useState<Record<number, string>>({});
  const [error, setError] = useState('');
  if (reports.length === 0) return null;

  const show = async (id: number) => {
    setError('');
    try {
      const r = await call<{ raw: string; truncated: boolean }>('GET', `/emails/${emailId}/reports/${id}/raw`);
      setRaw((prev) => ({ ...prev, [id]: r.truncated ? `${r.raw}\n${t('reports.cut')}` : r.raw }));
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section aria-labelledby="reports-title">
      <h2 id="reports-title">{t('reports.title')}</h2>
      {error && <p className="field-error" role="alert">{error}</p>}
      {reports.map((r) => (
        <article key={r.id} className="report">
          <p>
            {t('reports.received', { when: timeText(r.receivedAt), from: r.reporter || '—' })} · {t(`reports.matchedBy.${r.matchedBy}`)}
          </p>
          <p className="reply">
            <ServerWords lang="">{r.subject}</ServerWords>
          </p>
          <ul>
            {r.recipients.map((x) => (
              <li key={x.recipient}>
                {x.recipient}: {t(`reports.actions.${x.action}`)}
                {x.type && ` (${t(`recipients.types.${x.type}`)})`} <strong>{x.status}</strong> {x.diagnostic && <ServerWords className="reply">{x.diagnostic}</ServerWords>}
              </li>
            ))}
          </ul>
          {raw[r.id] === undefined ? (
            <button type="button" onClick={() => void show(r.id)}>
              {t('reports.showRaw')}
            </button>
          ) : (
            // Scrollable: reachable by keyboard, named for a screen reader.
            <pre className="body raw-report" tabIndex={0} role="region" aria-label={t('reports.rawLabel')}>
              {raw[r.id]}
            </pre>
          )}
        </article>
      ))}
    </section>
  );
}
