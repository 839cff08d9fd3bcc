// Signing in: the first page of a visit, and the dialog that appears over the page when a
// session expires, so that what the administrator was typing is still there afterwards.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, call, errorText } from '../api';
import i18next from '../i18n';

export interface Session {
  username: string;
  expiresAt: string;
}

/** A refused sign-in in the console's language (the server's own words for anything else). */
function signInError(err: unknown): string {
  if (err instanceof ApiError && err.code === 'unauthorized') return i18next.t('login.wrong');
  if (err instanceof ApiError && err.code === 'too_many_attempts') return i18next.t('login.tooMany');
  return errorText(err);
}

export function LoginForm({ onSignedIn, expired = false }: { onSignedIn: (s: Session) => void; expired?: boolean }) {
  const { t } = useTranslation();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  useEffect(() => passwordRef.current?.focus(), []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const session = await call<Session>('POST', '/auth/login', { username, password });
      setPassword('');
      onSignedIn(session);
    } catch (err) {
      setError(signInError(err));
      setBusy(false);
    }
  };

  return (
    <form className="login" onSubmit={submit} aria-labelledby="login-title">
      <h1 id="login-title">{expired ? t('login.expiredTitle') : t('login.title')}</h1>
      {expired && <p>{t('login.expiredText')}</p>}
      <label htmlFor="login-user">{t('login.user')}</label>
      <input id="login-user" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
      <label htmlFor="login-password">{t('login.password')}</label>
      <input
        id="login-password"
        ref={passwordRef}
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        required
      />
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <button className="primary" disabled={busy}>
        {t('login.signIn')}
      </button>
      {!expired && (
        <p className="hint">
          {t('login.firstStart')} <code>npx postroom admin password</code>.
        </p>
      )}
    </form>
  );
}

/** The sign-in form over the current page, modal, until the user signs in again. */
export function ExpiredDialog({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    // Escape must not dismiss it: the page behind cannot work until the user signs in.
    <dialog ref={ref} className="dialog" onCancel={(e) => e.preventDefault()}>
      <LoginForm expired onSignedIn={onSignedIn} />
    </dialog>
  );
}
