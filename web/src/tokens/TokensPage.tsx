// API tokens for host applications: made here (the value is shown once, then dropped from the
// page), listed by name and prefix, revoked at once.
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, call, errorText } from '../api';
import { Confirm } from '../shell/Confirm';
import type { TokenInfo } from '../types';
import { dateTimeText } from '../i18n';

export function TokensPage() {
  const { t } = useTranslation();
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

  const revoke = async (tk: TokenInfo) => {
    setRevoking(null);
    try {
      await call('DELETE', `/tokens/${tk.id}`);
      load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div className="tokens">
      <h1>{t('tokens.title')}</h1>
      <p className="help">
        {t('tokens.helpBefore')} <code>Authorization: Bearer &lt;token&gt;</code>. {t('tokens.helpAfter')}
      </p>
      {error && <p className="field-error" role="alert">{error}</p>}
      {made && (
        <section className="banner made" role="status">
          <p>
            {t('tokens.madeFor')} <strong>{made.name}</strong>{t('tokens.copyNow')}
          </p>
          <p className="mono token-value">{made.token}</p>
          <button type="button" onClick={() => setMade(null)}>{t('tokens.copied')}</button>
        </section>
      )}
      <form className="inline" onSubmit={create} noValidate>
        <label htmlFor="token-name">{t('tokens.newFor')}</label>
        <input id="token-name" value={name} placeholder="erp-production" onChange={(e) => setName(e.target.value)} />
        <button disabled={!name.trim()}>{t('tokens.create')}</button>
      </form>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('users.name')}</th>
              <th scope="col">{t('tokens.startsWith')}</th>
              <th scope="col">{t('email.created')}</th>
              <th scope="col">{t('tokens.lastUsed')}</th>
              <th scope="col">{t('tokens.state')}</th>
            </tr>
          </thead>
          <tbody>
            {tokens?.map((tk) => (
              <tr key={tk.id}>
                <td>{tk.name}</td>
                <td className="mono">{tk.prefix}…</td>
                <td>{t('tokens.createdBy', { when: dateTimeText(tk.createdAt), who: tk.createdBy })}</td>
                <td>{tk.lastUsedAt ? dateTimeText(tk.lastUsedAt) : t('tokens.never')}</td>
                <td>
                  {tk.revokedAt ? (
                    t('tokens.revokedOn', { when: dateTimeText(tk.revokedAt) })
                  ) : (
                    <button type="button" onClick={() => setRevoking(tk)}>{t('tokens.revoke')}</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {revoking && (
        <Confirm title={t('tokens.revokeTitle', { name: revoking.name })} confirmLabel={t('tokens.revoke')} onCancel={() => setRevoking(null)} onConfirm={() => void revoke(revoking)}>
          <p>{t('tokens.revokeText')}</p>
        </Confirm>
      )}
    </div>
  );
}
