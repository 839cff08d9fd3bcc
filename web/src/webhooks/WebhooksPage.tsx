// Webhooks: the receivers that hear of e-mail events. Add one (its signing secret is shown once),
// see which are failing or disabled, read a delivery log, enable again, remove.
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, call, errorText } from '../api';
import { Confirm } from '../shell/Confirm';
import { DeliveryLog } from './DeliveryLog';
import { DisabledReason } from './DisabledReason';
import { dateTimeText } from '../i18n';
import type { TokenInfo } from '../types';
import { EVENT_TYPES, type EventType, type WebhookInfo } from './types';
import './webhooks.css';

export function WebhooksPage() {
  const { t } = useTranslation();
  const [hooks, setHooks] = useState<WebhookInfo[] | null>(null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<Set<EventType>>(new Set(EVENT_TYPES));
  const [allowPrivate, setAllowPrivate] = useState(false);
  // '' : every e-mail; else the ID of the token whose e-mails the webhook hears of.
  const [forToken, setForToken] = useState('');
  const [tokens, setTokens] = useState<TokenInfo[]>([]);
  const [made, setMade] = useState<{ url: string; secret: string } | null>(null);
  const [error, setError] = useState('');
  const [urlError, setUrlError] = useState('');
  const [removing, setRemoving] = useState<WebhookInfo | null>(null);
  const [open, setOpen] = useState<number | null>(null);

  const load = () => void call<WebhookInfo[]>('GET', '/webhooks').then(setHooks, (e: unknown) => setError(errorText(e)));
  useEffect(load, []);
  useEffect(() => void call<TokenInfo[]>('GET', '/tokens').then((list) => setTokens(list.filter((k) => !k.revokedAt)), () => undefined), []);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setUrlError('');
    try {
      const h = await call<WebhookInfo & { secret: string }>('POST', '/webhooks', {
        url: url.trim(),
        events: [...events],
        ...(allowPrivate ? { allowPrivateTarget: true } : {}),
        ...(forToken ? { forToken: Number(forToken) } : {}),
      });
      setMade({ url: h.url, secret: h.secret });
      setUrl('');
      load();
    } catch (err) {
      if (err instanceof ApiError && err.fieldMessage('url')) setUrlError(err.fieldMessage('url') ?? '');
      else setError(errorText(err));
    }
  };

  const act = async (fn: () => Promise<unknown>) => {
    setError('');
    try {
      await fn();
      load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const toggle = (t: EventType) => {
    const next = new Set(events);
    if (next.has(t)) next.delete(t);
    else next.add(t);
    setEvents(next);
  };

  return (
    <div className="webhooks">
      <h1>{t('webhooks.title')}</h1>
      <p className="help">{t('webhooks.help')}</p>
      {error && <p className="field-error" role="alert">{error}</p>}
      {made && (
        <section className="banner made" role="status">
          <p>{t('webhooks.secretFor', { url: made.url })}</p>
          <p className="mono token-value">{made.secret}</p>
          <button type="button" onClick={() => setMade(null)}>{t('webhooks.copied')}</button>
        </section>
      )}
      <form onSubmit={create} noValidate>
        <div className="inline">
          <label htmlFor="webhook-url">{t('webhooks.url')}</label>
          <input id="webhook-url" value={url} placeholder={t('webhooks.urlExample')} aria-invalid={urlError ? true : undefined} aria-describedby={urlError ? 'webhook-url-error' : undefined} onChange={(e) => setUrl(e.target.value)} />
          <button disabled={!url.trim() || events.size === 0}>{t('webhooks.add')}</button>
        </div>
        {urlError && <p id="webhook-url-error" className="field-error" role="alert">{urlError}</p>}
        <label className="check">
          <input type="checkbox" checked={allowPrivate} onChange={(e) => setAllowPrivate(e.target.checked)} /> {t('webhooks.allowPrivate')}
        </label>
        <div className="inline">
          <label htmlFor="webhook-for">{t('webhooks.for')}</label>
          <select id="webhook-for" value={forToken} onChange={(e) => setForToken(e.target.value)}>
            <option value="">{t('webhooks.everyEmail')}</option>
            {tokens.map((k) => (
              <option key={k.id} value={String(k.id)}>
                {t('webhooks.emailsOf', { who: k.name })}
              </option>
            ))}
          </select>
        </div>
        <fieldset>
          <legend>{t('webhooks.events')}</legend>
          {EVENT_TYPES.map((t) => (
            <label key={t} className="check">
              <input type="checkbox" checked={events.has(t)} onChange={() => toggle(t)} /> {t}
            </label>
          ))}
        </fieldset>
      </form>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('webhooks.colUrl')}</th>
              <th scope="col">{t('webhooks.events')}</th>
              <th scope="col">{t('webhooks.colFor')}</th>
              <th scope="col">{t('webhooks.colState')}</th>
              <th scope="col">{t('webhooks.colActions')}</th>
            </tr>
          </thead>
          <tbody>
            {hooks?.map((h) => (
              <tr key={h.id}>
                <td className="mono">
                  {h.url}
                  {h.allowPrivateTarget && <span className="private-target"> · {t('webhooks.privateAllowed')}</span>}
                </td>
                <td>{h.events.length === EVENT_TYPES.length ? t('webhooks.allEvents') : h.events.join(', ')}</td>
                <td>{h.owner === null ? t('webhooks.everyEmail') : t('webhooks.emailsOf', { who: h.owner })}</td>
                <td>
                  {h.disabledAt ? (
                    <span className="badge failed">{t('webhooks.disabled')}</span>
                  ) : h.failingSince ? (
                    <span className="badge error">{t('webhooks.failingSince', { when: dateTimeText(h.failingSince) })}</span>
                  ) : (
                    <span className="badge sent">{t('webhooks.active')}</span>
                  )}
                  {h.disabledReason && (
                    <div className="reply">
                      <DisabledReason reason={h.disabledReason} />
                    </div>
                  )}
                </td>
                <td>
                  <button type="button" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? null : h.id)}>
                    {open === h.id ? t('webhooks.hideLog') : t('webhooks.showLog')}
                  </button>{' '}
                  {h.disabledAt && (
                    <button type="button" onClick={() => void act(() => call('POST', `/webhooks/${h.id}/enable`))}>
                      {t('webhooks.enable')}
                    </button>
                  )}{' '}
                  <button type="button" onClick={() => setRemoving(h)}>{t('webhooks.remove')}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {hooks && hooks.length === 0 && <p>{t('webhooks.none')}</p>}
      </div>
      {open !== null && (
        <section aria-label={t('webhooks.showLog')}>
          <h2>{t('webhooks.logOf', { url: hooks?.find((h) => h.id === open)?.url ?? '' })}</h2>
          <DeliveryLog webhookId={open} />
        </section>
      )}
      {removing && (
        <Confirm
          title={t('webhooks.removeTitle', { url: removing.url })}
          confirmLabel={t('webhooks.remove')}
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            const h = removing;
            setRemoving(null);
            if (open === h.id) setOpen(null);
            void act(() => call('DELETE', `/webhooks/${h.id}`));
          }}
        >
          <p>{t('webhooks.removeText')}</p>
        </Confirm>
      )}
    </div>
  );
}
