// The frame around every page: the product name, the navigation and signing out.
import type { ReactNode } from 'react';
import { Link, useLocation } from '../router';
import { DisabledWebhooksBanner } from '../webhooks/DisabledBanner';

const PAGES = [
  { href: '/config/email', label: 'Configuration > Email' },
  { href: '/guides/exchange365-oauth', label: 'Setup guides', match: '/guides/' },
  { href: '/outbox', label: 'Outbox' },
  { href: '/users', label: 'Users' },
  { href: '/tokens', label: 'API tokens' },
  { href: '/webhooks', label: 'Webhooks' },
  { href: '/audit', label: 'Audit' },
];

export function Shell({ username, onSignOut, children }: { username: string; onSignOut: () => void; children: ReactNode }) {
  const here = useLocation().split(/[?#]/)[0] ?? '';
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Postroom</span>
        <nav aria-label="Main">
          <ul>
            {PAGES.map((p) => {
              const current = here.startsWith(p.match ?? p.href);
              return (
                <li key={p.href}>
                  <Link href={p.href} aria-current={current ? 'page' : undefined}>
                    {p.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <span className="who">
          {username}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main">
        <DisabledWebhooksBanner />
        {children}
      </main>
    </div>
  );
}
