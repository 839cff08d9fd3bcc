// Webhooks: the receivers that hear of e-mail events. Add one (its signing secret is shown once),
// see which are failing or disabled, read a delivery log, enable again, remove.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, call, errorText } from '../api';
import { Confirm } from '../shell/Confirm';
import { DeliveryLog } from './DeliveryLog';
import { EVENT_TYPES, type EventType, type WebhookInfo } from './types';
import './webhooks.css';

export function WebhooksPage() {
  const [hooks, setHooks] = useState<WebhookInfo[] | null>(null);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<Set<EventType>>(new Set(EVENT_TYPES));
  const [made, setMade] = useState<{ url: string; secret: string } | null>(null);
  const [error, setError] = useState('');
  const [urlError, setUrlError] = useState('');
  const [removing, setRemoving] = useState<WebhookInfo | null>(null);
  const [open, setOpen] = useState<number | null>(null);

  const load = () => void call<WebhookInfo[]>('GET', '/webhooks').then(setHooks, (e: unknown) => setError(errorText(e)));
  useEffect(load, []);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setUrlError('');
    try {
      const h = await call<WebhookInfo & { secret: string }>('POST', '/webhooks', { url: url.trim(), events: [...events] });
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
      <h1>Webhooks</h1>
      <p className="help">
        Postroom POSTs a signed JSON event to each webhook when an e-mail is sent, deferred, failed, partly refused, cancelled or held. A webhook made here
        hears of every e-mail; one made with an API token, only of that token's e-mails. Check the <code>Postroom-Signature</code> header with the secret
        (see the README, "For host applications").
      </p>
      {error && <p className="field-error" role="alert">{error}</p>}
      {made && (
        <section className="banner made" role="status">
          <p>
            Signing secret of <strong>{made.url}</strong>; copy it now, it is not shown again:
          </p>
          <p className="mono token-value">{made.secret}</p>
          <button type="button" onClick={() => setMade(null)}>I have copied it</button>
        </section>
      )}
      <form onSubmit={create} noValidate>
        <div className="inline">
          <label htmlFor="webhook-url">Receiver URL</label>
          <input id="webhook-url" value={url} placeholder="https://erp.example.com/postroom/events" aria-invalid={urlError ? true : undefined} aria-describedby={urlError ? 'webhook-url-error' : undefined} onChange={(e) => setUrl(e.target.value)} />
          <button disabled={!url.trim() || events.size === 0}>Add webhook</button>
        </div>
        {urlError && <p id="webhook-url-error" className="field-error" role="alert">{urlError}</p>}
        <fieldset>
          <legend>Events</legend>
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
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">For</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {hooks?.map((h) => (
              <tr key={h.id}>
                <td className="mono">{h.url}</td>
                <td>{h.events.length === EVENT_TYPES.length ? 'all' : h.events.join(', ')}</td>
                <td>{h.scope === 'all' ? 'every e-mail' : `e-mails of ${h.createdBy}`}</td>
                <td>
                  {h.disabledAt ? (
                    <span className="badge failed">disabled</span>
                  ) : h.failingSince ? (
                    <span className="badge error">failing since {new Date(h.failingSince).toLocaleString()}</span>
                  ) : (
                    <span className="badge sent">active</span>
                  )}
                  {h.disabledReason && <div className="reply">{h.disabledReason}</div>}
                </td>
                <td>
                  <button type="button" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? null : h.id)}>
                    {open === h.id ? 'Hide log' : 'Delivery log'}
                  </button>{' '}
                  {h.disabledAt && (
                    <button type="button" onClick={() => void act(() => call('POST', `/webhooks/${h.id}/enable`))}>
                      Enable
                    </button>
                  )}{' '}
                  <button type="button" onClick={() => setRemoving(h)}>Remove</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {hooks && hooks.length === 0 && <p>No webhooks yet.</p>}
      </div>
      {open !== null && (
        <section aria-label="Delivery log">
          <h2>Delivery log of {hooks?.find((h) => h.id === open)?.url}</h2>
          <DeliveryLog webhookId={open} />
        </section>
      )}
      {removing && (
        <Confirm
          title={`Remove the webhook to ${removing.url}?`}
          confirmLabel="Remove"
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            const h = removing;
            setRemoving(null);
            if (open === h.id) setOpen(null);
            void act(() => call('DELETE', `/webhooks/${h.id}`));
          }}
        >
          <p>Its delivery log goes with it, and events not yet delivered are dropped.</p>
        </Confirm>
      )}
    </div>
  );
}
