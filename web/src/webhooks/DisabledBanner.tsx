// Shown on every page while a webhook is disabled after failing for 24 hours: host applications
// hear nothing from it until an administrator looks.
import { useEffect, useState } from 'react';
import { call } from '../api';
import { Link, useLocation } from '../router';
import type { WebhookInfo } from './types';

export function DisabledWebhooksBanner() {
  const [disabled, setDisabled] = useState<WebhookInfo[]>([]);
  // Looked at again on each page change: enabling a webhook clears the banner on the next page.
  const page = useLocation().split(/[?#]/)[0];
  useEffect(() => {
    call<WebhookInfo[]>('GET', '/webhooks').then((hooks) => setDisabled(hooks.filter((h) => h.disabledAt)), () => setDisabled([]));
  }, [page]);
  if (disabled.length === 0) return null;
  return (
    <section className="banner problems" role="alert" aria-label="Disabled webhooks">
      <h2>{disabled.length === 1 ? 'A webhook is disabled' : `${disabled.length} webhooks are disabled`}</h2>
      <ul>
        {disabled.map((h) => (
          <li key={h.id}>
            <span className="mono">{h.url}</span>: disabled {new Date(h.disabledAt ?? '').toLocaleString()}, {h.disabledReason}
          </li>
        ))}
      </ul>
      <p>
        Its host application receives no events. Fix the receiver, then enable it again under <Link href="/webhooks">Webhooks</Link>.
      </p>
    </section>
  );
}
