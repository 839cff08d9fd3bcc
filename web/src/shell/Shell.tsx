// The frame around every page: the product name, the navigation and signing out.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from '../router';
import { LanguageSwitch } from './LanguageSwitch';
import { SendingBanner } from './SendingBanner';
import { DisabledWebhooksBanner } from '../webhooks/DisabledBanner';

const PAGES = [
  { href: '/config/email', label: 'nav.config' },
  { href: '/guides/exchange365-oauth', label: 'nav.guides', match: '/guides/' },
  { href: '/outbox', label: 'nav.outbox' },
  { href: '/users', label: 'nav.users' },
  { href: '/tokens', label: 'nav.tokens' },
  { href: '/webhooks', label: 'nav.webhooks' },
  { href: '/audit', label: 'nav.audit' },
];

export function Shell({ username, onSignOut, children }: { username: string; onSignOut: () => void; children: ReactNode }) {
  const { t } = useTranslation();
  const here = useLocation().split(/[?#]/)[0] ?? '';
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Postroom</span>
        <nav aria-label={t('nav.main')}>
          <ul>
            {PAGES.map((p) => {
              const current = here.startsWith(p.match ?? p.href);
              return (
                <li key={p.href}>
                  <Link href={p.href} aria-current={current ? 'page' : undefined}>
                    {t(p.label)}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <span className="who">
          <LanguageSwitch compact />
          {username}
          <button type="button" onClick={onSignOut}>
            {t('shell.signOut')}
          </button>
        </span>
      </header>
      <main id="main">
        <SendingBanner />
        <DisabledWebhooksBanner />
        {children}
      </main>
    </div>
  );
}
