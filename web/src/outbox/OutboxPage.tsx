// The outbox: counts by status, the last day's chart, and the e-mails, newest first, with a
// status filter, a search on subject and recipients, and pages that stay fast on a large table.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import { Link, replaceQuery, useLocation } from '../router';
import { Confirm } from '../shell/Confirm';
import { RetryFailed } from './RetryFailed';
import { STATUSES, type EmailPage, type EmailStatus, type HourTally } from '../types';
import { numberText } from '../i18n';
import { addressList, statusLabel, timeText, usePostmaster } from './format';
import { BouncedNote } from './Recipients';
import { Worded } from '../shell/ServerWords';
import { HourlyChart } from './HourlyChart';

const PAGE_SIZE = 50;

export function OutboxPage() {
  const { t } = useTranslation();
  const postmaster = usePostmaster();
  const query = new URLSearchParams(useLocation().split('?')[1] ?? '');
  const status = (STATUSES as readonly string[]).includes(query.get('status') ?? '') ? (query.get('status') as EmailStatus) : '';
  const q = query.get('q') ?? '';
  const [search, setSearch] = useState(q);
  // Cursors of the pages before this one, so "Newer" goes back without recounting.
  const [cursors, setCursors] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [page, setPage] = useState<EmailPage | null>(null);
  const [counts, setCounts] = useState<Record<EmailStatus, number> | null>(null);
  const [hours, setHours] = useState<HourTally[] | null>(null);
  const [error, setError] = useState('');
  const [confirmRelease, setConfirmRelease] = useState(false);
  const [notice, setNotice] = useState('');

  const loadSummary = useCallback(() => {
    call<Record<EmailStatus, number>>('GET', '/emails/counts').then(setCounts, (e: unknown) => setError(errorText(e)));
    call<HourTally[]>('GET', '/emails/hourly?hours=24').then(setHours, (e: unknown) => setError(errorText(e)));
  }, []);

  const loadPage = useCallback(() => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (status) params.set('status', status);
    if (q) params.set('q', q);
    if (cursor) params.set('cursor', cursor);
    call<EmailPage>('GET', `/emails?${params}`).then(setPage, (e: unknown) => setError(errorText(e)));
  }, [status, q, cursor]);

  useEffect(loadSummary, [loadSummary]);
  useEffect(loadPage, [loadPage]);

  const filter = (next: { status?: string; q?: string }) => {
    const params = new URLSearchParams();
    const s = next.status ?? status;
    const text = next.q ?? q;
    if (s) params.set('status', s);
    if (text) params.set('q', text);
    setCursors([]);
    setCursor(null);
    replaceQuery(params);
  };

  const submitSearch = (e: FormEvent) => {
    e.preventDefault();
    filter({ q: search.trim() });
  };

  const releaseHeld = async () => {
    setConfirmRelease(false);
    try {
      const r = await call<{ released: number }>('POST', '/emails/release-held');
      setNotice(t('outbox.released', { count: r.released, n: numberText(r.released) }));
      loadSummary();
      loadPage();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="outbox">
      <h1>{t('outbox.title')}</h1>
      {error && <p className="field-error" role="alert">{error}</p>}
      {notice && <p className="notice" role="status">{notice}</p>}
      {counts && (
        <ul className="counts" aria-label={t('outbox.byStatus')}>
          {STATUSES.map((s) => (
            <li key={s}>
              <button type="button" className={`count ${s}${status === s ? ' selected' : ''}`} aria-pressed={status === s} onClick={() => filter({ status: status === s ? '' : s })}>
                <span className="n">{numberText(counts[s])}</span> {statusLabel(s)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {counts && counts.held > 0 && (
        <p>
          <button type="button" onClick={() => setConfirmRelease(true)}>
            {t('outbox.release', { n: numberText(counts.held) })}
          </button>
        </p>
      )}
      {counts && counts.failed > 0 && (
        <p>
          <RetryFailed
            onDone={(n) => {
              setNotice(t('outbox.retried', { count: n, n: numberText(n) }));
              loadSummary();
              loadPage();
            }}
          />
        </p>
      )}
      {hours && <HourlyChart hours={hours} />}
      <div className="filters">
        <label htmlFor="status-filter">{t('outbox.status')}</label>
        <select id="status-filter" value={status} onChange={(e) => filter({ status: e.target.value })}>
          <option value="">{t('outbox.all')}</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </select>
        <form onSubmit={submitSearch} role="search" className="inline">
          <label htmlFor="search">{t('outbox.searchLabel')}</label>
          <input id="search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
          <button>{t('outbox.search')}</button>
        </form>
      </div>
      <div className="table-wrap">
        <table className="emails">
          <thead>
            <tr>
              <th scope="col">{t('outbox.status')}</th>
              <th scope="col">{t('email.created')}</th>
              <th scope="col">{t('email.sender')}</th>
              <th scope="col">{t('outbox.recipients')}</th>
              <th scope="col">{t('outbox.subject')}</th>
              <th scope="col">{t('email.attempts')}</th>
              <th scope="col">{t('outbox.lastReply')}</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.map((e) => (
              <tr key={e.id}>
                <td>
                  <span className={`badge ${e.status}`}>{statusLabel(e.status)}</span>
                  {e.status === 'pending' && e.scheduledAt && Date.parse(e.scheduledAt) > Date.now() && <div className="scheduled">{t('email.scheduledFor', { when: timeText(e.scheduledAt) })}</div>}
                  {e.status !== 'bounced' && (
                    <div>
                      <BouncedNote recipients={e.recipients} />
                    </div>
                  )}
                </td>
                <td>{timeText(e.createdAt)}</td>
                <td className="address">{e.sender ? addressList([e.sender]) : postmaster ? t('outbox.postmasterAddress', { address: postmaster }) : t('outbox.postmaster')}</td>
                <td className="recipients">{addressList([...e.to, ...e.cc, ...e.bcc])}</td>
                <td>
                  <Link href={`/outbox/${e.id}`}>{e.subject || t('email.noSubject')}</Link>
                </td>
                <td className="num">{numberText(e.attempts)}</td>
                <td className="reply">
                  <Worded text={e.lastReply} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {page && page.items.length === 0 && <p>{t('outbox.noMatch')}</p>}
      </div>
      <nav className="pager" aria-label={t('outbox.pages')}>
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => {
            const previous = cursors.slice(0, -1);
            setCursor(cursors.at(-1) || null);
            setCursors(previous);
          }}
        >
          ← {t('outbox.newer')}
        </button>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => {
            setCursors([...cursors, cursor ?? '']);
            setCursor(page?.nextCursor ?? null);
          }}
        >
          {t('outbox.older')} →
        </button>
      </nav>
      {confirmRelease && (
        <Confirm title={t('outbox.releaseTitle')} confirmLabel={t('outbox.releaseConfirm')} onCancel={() => setConfirmRelease(false)} onConfirm={() => void releaseHeld()}>
          <p>{t('outbox.releaseText', { count: counts?.held ?? 0, n: numberText(counts?.held ?? 0) })}</p>
        </Confirm>
      )}
    </div>
  );
}
