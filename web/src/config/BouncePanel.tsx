// Configuration > Email's bounce processing: which mailbox is read, when it was last read and what
// that found, why it failed if it did (sending goes on regardless), and "Check now".
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import { numberText } from '../i18n';
import type { MailboxCheck } from '../types';
import { timeText } from '../outbox/format';

export function BouncePanel({ enabled }: { enabled: boolean }) {
  const { t } = useTranslation();
  const [check, setCheck] = useState<MailboxCheck | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [outcome, setOutcome] = useState('');

  const load = useCallback(() => {
    call<MailboxCheck>('GET', '/settings/email/bounces').then(setCheck, (e: unknown) => setError(errorText(e)));
  }, []);
  useEffect(load, [load, enabled]);

  const checkNow = async () => {
    setBusy(true);
    setError('');
    setOutcome('');
    try {
      const r = await call<{ outcome: 'off' | 'busy' | 'error' | 'done'; status: MailboxCheck }>('POST', '/settings/email/bounces/check');
      setCheck(r.status);
      setOutcome(t(`bounces.outcome.${r.outcome}`));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  if (!check) return error ? <p className="field-error" role="alert">{error}</p> : null;
  const n = (x: number) => numberText(x);
  return (
    <section className="tests bounce-panel" aria-labelledby="bounces-title">
      <h2 id="bounces-title">{t('bounces.title')}</h2>
      {!check.enabled ? (
        <p className="help">{t('bounces.off')}</p>
      ) : (
        <>
          {check.problems.map((p) => (
            <p key={p.key} className="bad" role="alert">
              <a href={`#field-${p.key}`}>{t('bounces.cannotRead')}</a> {p.message}
            </p>
          ))}
          {check.error && (
            <p className="bad" role="alert">
              {t('bounces.failed', { when: timeText(check.errorAt) })} <span className="reply">{check.error}</span> {t('bounces.sendingGoesOn')}
            </p>
          )}
          <dl>
            <dt>{t('bounces.mailbox')}</dt>
            <dd>{check.mailbox ?? '—'}</dd>
            <dt>{t('bounces.lastCheck')}</dt>
            <dd>{check.lastCheckAt ? timeText(check.lastCheckAt) : t('bounces.never')}</dd>
            <dt>{t('bounces.nextCheck')}</dt>
            <dd>{timeText(check.nextCheckAt)}</dd>
            {check.lastCounts && (
              <>
                <dt>{t('bounces.lastFound')}</dt>
                <dd>
                  {t('bounces.counts', {
                    seen: n(check.lastCounts.seen),
                    read: n(check.lastCounts.read),
                    matched: n(check.lastCounts.matched),
                    unmatched: n(check.lastCounts.unmatched),
                    unreadable: n(check.lastCounts.unreadable),
                  })}
                </dd>
              </>
            )}
            <dt>{t('bounces.totals')}</dt>
            <dd>{t('bounces.totalsText', { matched: n(check.matchedTotal), unmatched: n(check.unmatchedTotal) })}</dd>
            <dt>{t('bounces.last24h')}</dt>
            <dd>
              {t('bounces.byType', { hard: n(check.last24h.hard), soft: n(check.last24h.soft), delayed: n(check.last24h.delayed) })}{' '}
              <span className={check.last24h.policy > 0 ? 'bad' : ''}>{t('bounces.policy', { count: check.last24h.policy, n: n(check.last24h.policy) })}</span>
            </dd>
          </dl>
          <div className="test-block">
            <button type="button" onClick={() => void checkNow()} disabled={busy}>
              {busy ? t('bounces.checking') : t('bounces.checkNow')}
            </button>
            <p className="help">{t('bounces.checkHelp')}</p>
            {outcome && <p role="status">{outcome}</p>}
            {error && <p className="field-error" role="alert">{error}</p>}
          </div>
        </>
      )}
    </section>
  );
}
