// API tokens for host applications: made here (the value is shown once, then dropped from the
// page), listed by name and prefix, revoked at once.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, call, errorText } from '../api';
import { Confirm } from '../shell/Confirm';
import type { TokenInfo } from '../types';

export function TokensPage() {
  const [tokens, setTokens] = useState<TokenInfo[] | null>(null);
  const [name, setName] = useState('');
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState('');
  const [revoking, setRevoking] = useState<TokenInfo | null>(null);

  const load = () => void call<TokenInfo[]>('GET', '/tokens').then(setTokens, (e: unknown) => setError(errorText(e)));
  useEffect(load, []);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      const t = await call<TokenInfo & { token: string }>('POST', '/tokens', { name: name.trim() });
      setMade({ name: t.name, token: t.token });
      setName('');
      load();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : errorText(err));
    }
  };

  const revoke = async (t: TokenInfo) => {
    setRevoking(null);
    try {
      await call('DELETE', `/tokens/${t.id}`);
      load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="tokens">
      <h1>API tokens</h1>
      <p className="help">A host application hands over e-mails with <code>Authorization: Bearer &lt;token&gt;</code>. A token can hand over e-mails, create drafts, keep users up to date and read its own e-mails; nothing else.</p>
      {error && <p className="field-error" role="alert">{error}</p>}
      {made && (
        <section className="banner made" role="status">
          <p>
            Token for <strong>{made.name}</strong>; copy it now, it is not shown again:
          </p>
          <p className="mono token-value">{made.token}</p>
          <button type="button" onClick={() => setMade(null)}>I have copied it</button>
        </section>
      )}
      <form className="inline" onSubmit={create} noValidate>
        <label htmlFor="token-name">New token for</label>
        <input id="token-name" value={name} placeholder="erp-production" onChange={(e) => setName(e.target.value)} />
        <button disabled={!name.trim()}>Create token</button>
      </form>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {tokens?.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td className="mono">{t.prefix}…</td>
                <td>{new Date(t.createdAt).toLocaleString()} by {t.createdBy}</td>
                <td>{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : 'never'}</td>
                <td>
                  {t.revokedAt ? (
                    `revoked ${new Date(t.revokedAt).toLocaleString()}`
                  ) : (
                    <button type="button" onClick={() => setRevoking(t)}>Revoke</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {revoking && (
        <Confirm title={`Revoke “${revoking.name}”?`} confirmLabel="Revoke" onCancel={() => setRevoking(null)} onConfirm={() => void revoke(revoking)}>
          <p>The host application using it is refused from now on.</p>
        </Confirm>
      )}
    </div>
  );
}
