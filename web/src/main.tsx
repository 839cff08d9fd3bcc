// The console's entry: find out whether a session exists, then show the sign-in page or the
// page the address names. A session that expires later brings up the sign-in dialog in place.
import { StrictMode, useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useTranslation } from 'react-i18next';
import './i18n';
import { call, onSessionExpired } from './api';
import { navigate, useLocation } from './router';
import { ExpiredDialog, LoginForm, type Session } from './shell/Login';
import { Shell } from './shell/Shell';
import { LanguageSwitch } from './shell/LanguageSwitch';
import { ConfigPage } from './config/ConfigPage';
import { GuidePage } from './guides/GuidePage';
import { OutboxPage } from './outbox/OutboxPage';
import { EmailPage } from './outbox/EmailPage';
import { UsersPage } from './users/UsersPage';
import { AuditPage } from './audit/AuditPage';
import { TokensPage } from './tokens/TokensPage';
import './styles.css';

function Page() {
  const path = useLocation().split(/[?#]/)[0] ?? '/';
  const email = /^\/outbox\/(\d+)$/.exec(path);
  const guide = /^\/guides\/([\w-]+)$/.exec(path);
  if (email) return <EmailPage id={Number(email[1])} />;
  if (guide) return <GuidePage name={guide[1] ?? ''} />;
  switch (path) {
    case '/outbox':
      return <OutboxPage />;
    case '/users':
      return <UsersPage />;
    case '/audit':
      return <AuditPage />;
    case '/tokens':
      return <TokensPage />;
    default:
      return <ConfigPage />;
  }
}

function App() {
  const { t } = useTranslation();
  const [session, setSession] = useState<Session | null | 'loading'>('loading');
  const [expired, setExpired] = useState(false);
  const waiting = useRef<(() => void)[]>([]);

  useEffect(() => {
    call<Session>('GET', '/auth/session').then(setSession, () => setSession(null));
  }, []);

  useEffect(() => {
    // Calls that met 401 wait here and are replayed once the user has signed in again.
    onSessionExpired(
      () =>
        new Promise<void>((resolve) => {
          waiting.current.push(resolve);
          setExpired(true);
        }),
    );
    return () => onSessionExpired(null);
  }, []);

  const signedInAgain = useCallback((s: Session) => {
    setSession(s);
    setExpired(false);
    const resume = waiting.current.splice(0);
    resume.forEach((r) => r());
  }, []);

  const signOut = useCallback(async () => {
    await call('POST', '/auth/logout').catch(() => undefined);
    setSession(null);
    navigate('/login');
  }, []);

  if (session === 'loading') return <p className="loading">{t('common.loading')}</p>;
  if (session === null) {
    return (
      <main className="login-page">
        <LanguageSwitch />
        <LoginForm
          onSignedIn={(s) => {
            setSession(s);
            if (location.pathname === '/login' || location.pathname === '/') navigate('/config/email');
          }}
        />
      </main>
    );
  }
  return (
    <Shell username={session.username} onSignOut={signOut}>
      <Page />
      {expired && <ExpiredDialog onSignedIn={signedInAgain} />}
    </Shell>
  );
}

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
