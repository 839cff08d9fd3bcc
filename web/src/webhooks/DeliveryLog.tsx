// One webhook's delivery log: each event sent to it, how many attempts, and what the receiver
// last answered (status and the start of its body), newest first, with older pages.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import { Link } from '../router';
import type { DeliveryInfo, DeliveryPage } from './types';
import { dateTimeText } from '../i18n';
import { ServerWords } from '../shell/ServerWords';

const when = (iso: string | null) => (iso ? dateTimeText(iso) : '');

export function DeliveryLog({ webhookId }: { webhookId: number }) {
  const { t } = useTranslation();
  const [items, setItems] = useState<DeliveryInfo[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [loaded, setLoaded] = useState(false);

  const load = (cursor: string | null) =>
    call<DeliveryPage>('GET', `/webhooks/${webhookId}/deliveries?limit=50${cursor ? `&cursor=${cursor}` : ''}`).then(
      (page) => {
        setItems((old) => (cursor ? [...old, ...page.items] : page.items));
        setNext(page.nextCursor);
        setLoaded(true);
      },
      (e: unknown) => setError(errorText(e)),
    );
  useEffect(() => void load(null), [webhookId]);

  if (error) return <p className="field-error" role="alert">{error}</p>;
  if (!loaded) return <p>{t('webhooks.log.loading')}</p>;
  if (items.length === 0) return <p>{t('webhooks.log.empty')}</p>;
  return (
    <div className="table-wrap">
      <table aria-label={t('webhooks.log.table', { id: webhookId })}>
        <thead>
          <tr>
            <th scope="col">{t('webhooks.log.event')}</th>
            <th scope="col">{t('webhooks.log.email')}</th>
            <th scope="col">{t('webhooks.colState')}</th>
            <th scope="col">{t('webhooks.log.attempts')}</th>
            <th scope="col">{t('webhooks.log.lastAnswer')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id}>
              <td>
                {d.type}
                <br />
                <span className="mono help">{d.eventId}</span> · {when(d.createdAt)}
              </td>
              <td>
                <Link href={`/outbox/${d.emailId}`}>#{d.emailId}</Link>
              </td>
              <td>
                <span className={`badge ${d.status === 'delivered' ? 'sent' : d.status === 'failed' ? 'failed' : 'error'}`}>{t(`webhooks.log.${d.status}`)}</span>
                {d.status === 'delivered' && <> {when(d.deliveredAt)}</>}
                {d.status === 'pending' && d.nextAttemptAt && <> · {t('webhooks.log.nextTry', { when: when(d.nextAttemptAt) })}</>}
              </td>
              <td className="num">{d.attempts}</td>
              <td className="reply">
                {d.lastStatus ?? (d.attempts > 0 ? t('webhooks.log.noAnswer') : '')}{' '}
                {/* With a status, the receiver's body (any language); without, the connection's error (Node's English). */}
                {d.lastBodyExcerpt && (d.lastStatus !== null ? <ServerWords lang="">{d.lastBodyExcerpt}</ServerWords> : <span lang="en">{d.lastBodyExcerpt}</span>)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" onClick={() => void load(next)}>
          {t('webhooks.log.older')}
        </button>
      )}
    </div>
  );
}
