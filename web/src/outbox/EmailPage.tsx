// One e-mail: who, what, its status, every attempt with the server's reply, the recipients a
// server refused; and Retry (asks first: it sends mail) and Cancel.
import { useCallback, useEffect, useState } from 'react';
import { call, errorText } from '../api';
import { Link } from '../router';
import { Confirm } from '../shell/Confirm';
import type { EmailDetail } from '../types';
import { addressList, STATUS_LABELS, timeText } from './format';

const RETRYABLE = ['failed', 'error', 'cancelled'];
const CANCELLABLE = ['pending', 'error', 'held'];

export function EmailPage({ id }: { id: number }) {
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
      setNotice(action === 'retry' ? 'The e-mail is pending again: it goes out at the next campaign.' : 'The e-mail is cancelled: it will not be sent.');
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="email">
      <p>
        <Link href="/outbox">← Outbox</Link>
      </p>
      {error && <p className="field-error" role="alert">{error}</p>}
      {notice && <p className="notice" role="status">{notice}</p>}
      {email && (
        <>
          <h1>{email.subject || '(no subject)'}</h1>
          <p>
            <span className={`badge ${email.status}`}>{STATUS_LABELS[email.status]}</span>
            {email.nextAttemptAt && email.status !== 'sending' && <span> · next attempt {timeText(email.nextAttemptAt)}</span>}
            {email.scheduledAt && <span> · scheduled for {timeText(email.scheduledAt)}</span>}
          </p>
          <div className="actions">
            {RETRYABLE.includes(email.status) && (
              <button type="button" onClick={() => setAsking('retry')}>
                Retry
              </button>
            )}
            {CANCELLABLE.includes(email.status) && (
              <button type="button" onClick={() => setAsking('cancel')}>
                Cancel e-mail
              </button>
            )}
          </div>
          <dl className="facts">
            <dt>Sender</dt>
            <dd>{email.sender ? addressList([email.sender]) : 'the postmaster'}</dd>
            <dt>To</dt>
            <dd>{addressList(email.to)}</dd>
            {email.cc.length > 0 && (
              <>
                <dt>Cc</dt>
                <dd>{addressList(email.cc)}</dd>
              </>
            )}
            {email.bcc.length > 0 && (
              <>
                <dt>Bcc</dt>
                <dd>{addressList(email.bcc)}</dd>
              </>
            )}
            <dt>Created</dt>
            <dd>{timeText(email.createdAt)}</dd>
            <dt>Finished</dt>
            <dd>{timeText(email.finishedAt)}</dd>
            <dt>Message-ID</dt>
            <dd className="mono">{email.messageId}</dd>
            <dt>Handed over by</dt>
            <dd>{email.source}</dd>
            {email.attachments.length > 0 && (
              <>
                <dt>Attachments</dt>
                <dd>{email.attachments.map((a) => `${a.filename} (${Math.ceil(a.size / 1024)} KB)`).join(', ')}</dd>
              </>
            )}
          </dl>
          {email.rejectedRecipients.length > 0 && (
            <section aria-labelledby="rejected-title">
              <h2 id="rejected-title">Recipients the server refused</h2>
              <ul>
                {email.rejectedRecipients.map((r) => (
                  <li key={r.recipient}>
                    {r.recipient}: <span className="reply">{r.reply}</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section aria-labelledby="attempts-title">
            <h2 id="attempts-title">Attempts</h2>
            {email.attemptLog.length === 0 ? (
              <p>No attempt yet.</p>
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Started</th>
                      <th scope="col">Route</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">Reply</th>
                    </tr>
                  </thead>
                  <tbody>
                    {email.attemptLog.map((a, i) => (
                      <tr key={i}>
                        <td>{timeText(a.startedAt)}</td>
                        <td>{a.route}</td>
                        <td>{a.outcome}</td>
                        <td className="reply">
                          {/* A server's reply carries its own code: shown once, not "250 250 2.0.0 Ok". */}
                          {a.replyCode !== null && !new RegExp(`\\b${a.replyCode}\\b`).test(a.reply ?? '') && <strong>{a.replyCode} </strong>}
                          {a.reply}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          <section aria-labelledby="body-title">
            <h2 id="body-title">Text</h2>
            <pre className="body">{email.text ?? '(HTML only)'}</pre>
          </section>
        </>
      )}
      {asking === 'retry' && (
        <Confirm title="Send this e-mail again?" confirmLabel="Retry" onCancel={() => setAsking(null)} onConfirm={() => void act('retry')}>
          <p>It goes out at the next campaign, with a fresh retry window.</p>
        </Confirm>
      )}
      {asking === 'cancel' && (
        <Confirm title="Cancel this e-mail?" confirmLabel="Cancel e-mail" onCancel={() => setAsking(null)} onConfirm={() => void act('cancel')}>
          <p>It will not be sent. You can retry it later.</p>
        </Confirm>
      )}
    </div>
  );
}
