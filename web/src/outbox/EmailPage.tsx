// One e-mail: who, what, its status, each recipient's fate (the relay's answer, then the delivery
// reports), every attempt with the server's reply; and Retry (asks first: it sends mail) and Cancel.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import { Link } from '../router';
import { Confirm } from '../shell/Confirm';
import type { EmailDetail } from '../types';
import { numberText } from '../i18n';
import { addressList, statusLabel, timeText, usePostmaster } from './format';
import { BouncedNote, Recipients } from './Recipients';
import { Reports } from './Reports';
import { Worded } from '../shell/ServerWords';

const RETRYABLE = ['failed', 'error', 'cancelled', 'bounced'];
const CANCELLABLE = ['pending', 'error', 'held'];

export function EmailPage({ id }: { id: number }) {
  const { t } = useTranslation();
  const postmaster = usePostmaster();
  const [email, setEmail] = useState<EmailDetail | null>(null);
  const [error, setError] = useState('');
  const [asking, setAsking] = useState<'retry' | 'cancel' | null>(null);
  const [notice, setNotice] = useState('');

  const load = useCallback(() => {
    call<EmailDetail>('GET', `/emails/${id}`).then(setEmail, (e: unknown) => setError(errorText(e)));
  }, [id]);
  useEffect(load, [load]);

  const act = async (action: 'retry' | 'cancel') => {
    setAsking(null);
    setError('');
    try {
      setEmail(await call<EmailDetail>('POST', `/emails/${id}/${action}`));
      setNotice(action === 'retry' ? t('email.retried') : t('email.cancelled'));
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="email">
      <p>
        <Link href="/outbox">← {t('nav.outbox')}</Link>
      </p>
      {error && <p className="field-error" role="alert">{error}</p>}
      {notice && <p className="notice" role="status">{notice}</p>}
      {email && (
        <>
          <h1>{email.subject || t('email.noSubject')}</h1>
          <p>
            <span className={`badge ${email.status}`}>{statusLabel(email.status)}</span>
            {/* A time already past is no "next attempt": the waiting reason says what it waits for. */}
            {email.nextAttemptAt && email.status !== 'sending' && Date.parse(email.nextAttemptAt) > Date.now() && email.waitingReason?.kind !== 'scheduled' && (
              <span> · {t('email.nextAttempt', { when: timeText(email.nextAttemptAt) })}</span>
            )}
            {email.scheduledAt && <span> · {t('email.scheduledFor', { when: timeText(email.scheduledAt) })}</span>}
            {email.status !== 'bounced' && <BouncedNote recipients={email.recipients} />}
          </p>
          {email.waitingReason && (
            <p className="waiting" role="status">
              {t(`email.waiting.${email.waitingReason.kind}`, { when: email.waitingReason.at ? timeText(email.waitingReason.at) : '' })}
              {/* Postroom's sentence in the console's language; the relay's reply inside it as the relay wrote it. */}
              {email.waitingReason.reason && (email.waitingReason.kind === 'sending-stopped' || email.waitingReason.kind === 'retry') && (
                <>
                  {' '}
                  {t('email.waiting.serverSaid')} <Worded text={email.waitingReason.reason} />
                </>
              )}
              {email.waitingReason.setting && (
                <>
                  {' '}
                  <Link href={`/config/email#field-${email.waitingReason.setting}`}>{t('sending.fix')}</Link>
                </>
              )}
            </p>
          )}
          <div className="actions">
            {RETRYABLE.includes(email.status) && (
              <button type="button" onClick={() => setAsking('retry')}>
                {t('email.retry')}
              </button>
            )}
            {CANCELLABLE.includes(email.status) && (
              <button type="button" onClick={() => setAsking('cancel')}>
                {t('email.cancel')}
              </button>
            )}
          </div>
          <dl className="facts">
            <dt>{t('email.sender')}</dt>
            <dd>{email.sender ? addressList([email.sender]) : postmaster ? t('outbox.postmasterAddress', { address: postmaster }) : t('email.thePostmaster')}</dd>
            <dt>{t('email.to')}</dt>
            <dd>{addressList(email.to)}</dd>
            {email.cc.length > 0 && (
              <>
                <dt>{t('email.cc')}</dt>
                <dd>{addressList(email.cc)}</dd>
              </>
            )}
            {email.bcc.length > 0 && (
              <>
                <dt>{t('email.bcc')}</dt>
                <dd>{addressList(email.bcc)}</dd>
              </>
            )}
            <dt>{t('email.created')}</dt>
            <dd>{timeText(email.createdAt)}</dd>
            <dt>{t('email.finished')}</dt>
            <dd>{timeText(email.finishedAt)}</dd>
            <dt>{t('email.messageId')}</dt>
            <dd className="mono">{email.messageId}</dd>
            <dt>{t('email.source')}</dt>
            <dd>{email.source}</dd>
            {email.attachments.length > 0 && (
              <>
                <dt>{t('email.attachments')}</dt>
                <dd>{email.attachments.map((a) => t('email.attachment', { name: a.filename, size: numberText(Math.ceil(a.size / 1024)) })).join(', ')}</dd>
              </>
            )}
          </dl>
          <Recipients recipients={email.recipients} />
          <Reports emailId={email.id} reports={email.reports} />
          <section aria-labelledby="attempts-title">
            <h2 id="attempts-title">{t('email.attempts')}</h2>
            {email.attemptLog.length === 0 ? (
              <p>{t('email.noAttempt')}</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t('email.started')}</th>
                      <th scope="col">{t('email.route')}</th>
                      <th scope="col">{t('email.outcome')}</th>
                      <th scope="col">{t('email.reply')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {email.attemptLog.map((a, i) => (
                      <tr key={i}>
                        <td>{timeText(a.startedAt)}</td>
                        <td>{a.route}</td>
                        <td>{t(`outcome.${a.outcome}`, { defaultValue: a.outcome })}</td>
                        <td className="reply">
                          {/* A server's reply carries its own code: shown once, not "250 250 2.0.0 Ok". */}
                          {a.replyCode !== null && !new RegExp(`\\b${a.replyCode}\\b`).test(a.reply ?? '') && <strong>{a.replyCode} </strong>}
                          <Worded text={a.reply} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section aria-labelledby="body-title">
            <h2 id="body-title">{t('email.text')}</h2>
            <pre className="body">{email.text ?? t('email.htmlOnly')}</pre>
          </section>
        </>
      )}
      {asking === 'retry' && (
        <Confirm title={t('email.retryTitle')} confirmLabel={t('email.retry')} onCancel={() => setAsking(null)} onConfirm={() => void act('retry')}>
          <p>{t('email.retryText')}</p>
        </Confirm>
      )}
      {asking === 'cancel' && (
        <Confirm title={t('email.cancelTitle')} confirmLabel={t('email.cancel')} onCancel={() => setAsking(null)} onConfirm={() => void act('cancel')}>
          <p>{t('email.cancelText')}</p>
        </Confirm>
      )}
    </div>
  );
}
