// One webhook's delivery log: each event sent to it, how many attempts, and what the receiver
// last answered (status and the start of its body), newest first, with older pages.
import { useEffect, useState } from 'react';
import { call, errorText } from '../api';
import { Link } from '../router';
import type { DeliveryInfo, DeliveryPage } from './types';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');

export function DeliveryLog({ webhookId }: { webhookId: number }) {
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
  if (!loaded) return <p>Loading…</p>;
  if (items.length === 0) return <p>No deliveries yet: events come as e-mails are sent, deferred, failed, cancelled or held.</p>;
  return (
    <div className="table-wrap">
      <table aria-label={`Deliveries of webhook ${webhookId}`}>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">E-mail</th>
            <th scope="col">State</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
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
                <span className={`badge ${d.status === 'delivered' ? 'sent' : d.status === 'failed' ? 'failed' : 'error'}`}>{d.status}</span>
                {d.status === 'delivered' && <> {when(d.deliveredAt)}</>}
                {d.status === 'pending' && d.nextAttemptAt && <> · next try {when(d.nextAttemptAt)}</>}
              </td>
              <td className="num">{d.attempts}</td>
              <td className="reply">
                {d.lastStatus ?? (d.attempts > 0 ? 'no answer' : '')} {d.lastBodyExcerpt}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" onClick={() => void load(next)}>
          Older deliveries
        </button>
      )}
    </div>
  );
}
