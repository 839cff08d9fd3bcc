// Signing in: the first page of a visit, and the dialog that appears over the page when a
// session expires, so that what the administrator was typing is still there afterwards.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { call, errorText } from '../api';

export interface Session {
  username: string;
  expiresAt: string;
}

export function LoginForm({ onSignedIn, expired = false }: { onSignedIn: (s: Session) => void; expired?: boolean }) {
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
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <form className="login" onSubmit={submit} aria-labelledby="login-title">
      <h1 id="login-title">{expired ? 'Your session has expired' : 'Sign in to Postroom'}</h1>
      {expired && <p>Sign in again to carry on: what you typed on the page is kept.</p>}
      <label htmlFor="login-user">User name</label>
      <input id="login-user" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
      <label htmlFor="login-password">Password</label>
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
        Sign in
      </button>
      {!expired && (
        <p className="hint">
          First start? Use the one-time link from the server log, or run <code>npx postroom admin password</code>.
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
