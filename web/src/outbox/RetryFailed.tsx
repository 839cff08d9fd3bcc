// Recovery from a bad day: send again every e-mail that failed since a chosen time, after saying
// how many it will be. The server counts and retries with the same filter, and audits it.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import { numberText } from '../i18n';
import { Confirm } from '../shell/Confirm';

const SINCE_HOURS = [1, 24, 24 * 7] as const;

export function RetryFailed({ onDone }: { onDone: (retried: number) => void }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [hours, setHours] = useState<number>(24);
  const [count, setCount] = useState<number | null>(null);
  const [error, setError] = useState('');
  const since = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

  useEffect(() => {
    if (!open) return;
    setCount(null);
    call<{ count: number }>('GET', `/emails/retryable?status=failed&since=${encodeURIComponent(since(hours))}`).then(
      (r) => setCount(r.count),
      (e: unknown) => setError(errorText(e)),
    );
  }, [open, hours]);

  const retry = async () => {
    try {
      const r = await call<{ retried: number }>('POST', '/emails/retry', { status: 'failed', since: since(hours) });
      setOpen(false);
      onDone(r.retried);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        {t('outbox.retryFailed')}
      </button>
      {open && (
        <Confirm title={t('outbox.retryFailedTitle')} confirmLabel={t('outbox.retryFailedConfirm')} onCancel={() => setOpen(false)} onConfirm={() => void retry()}>
          <label htmlFor="retry-since">{t('outbox.retrySince')}</label>{' '}
          <select id="retry-since" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {SINCE_HOURS.map((h) => (
              <option key={h} value={h}>
                {t(`outbox.retryHours_${h}`)}
              </option>
            ))}
          </select>
          <p role="status">{count === null ? t('common.loading') : t('outbox.retryCount', { count, n: numberText(count) })}</p>
          {error && <p className="field-error" role="alert">{error}</p>}
        </Confirm>
      )}
    </>
  );
}
