// Shown on every page while a webhook is disabled after failing for 24 hours: host applications
// hear nothing from it until an administrator looks.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call } from '../api';
import { Link, useLocation } from '../router';
import type { WebhookInfo } from './types';
import { dateTimeText } from '../i18n';
import { DisabledReason } from './DisabledReason';

export function DisabledWebhooksBanner() {
  const { t } = useTranslation();
  const [disabled, setDisabled] = useState<WebhookInfo[]>([]);
  // Looked at again on each page change: enabling a webhook clears the banner on the next page.
  const page = useLocation().split(/[?#]/)[0];
  useEffect(() => {
    call<WebhookInfo[]>('GET', '/webhooks').then((hooks) => setDisabled(hooks.filter((h) => h.disabledAt)), () => setDisabled([]));
  }, [page]);
  if (disabled.length === 0) return null;
  return (
    <section className="banner problems" role="alert" aria-label={t('webhooks.banner.label')}>
      <h2>{t('webhooks.banner.title')}</h2>
      <ul>
        {disabled.map((h) => (
          <li key={h.id}>
            <span className="mono">{h.url}</span> — {t('webhooks.banner.line', { when: dateTimeText(h.disabledAt) })}
            {h.disabledReason && (
              <>
                {' '}
                <DisabledReason reason={h.disabledReason} />
              </>
            )}
          </li>
        ))}
      </ul>
      <p>
        {t('webhooks.banner.text')} <Link href="/webhooks">{t('webhooks.banner.link')}</Link>.
      </p>
    </section>
  );
}
