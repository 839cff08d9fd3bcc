// The user directory: each user's address and e-mail software (sent by Postroom, or a draft
// in Outlook (New)). Host applications keep it up to date; administrators can edit it here.
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, call, errorText } from '../api';
import type { User } from '../types';

type Software = User['emailSoftware'];
/** Catalogue keys of the e-mail software choices. */
const SOFTWARE: Record<Software, string> = { server: 'users.softwareServer', 'outlook-new': 'users.softwareOutlookNew' };

function UserRow({ user, onSaved }: { user: User; onSaved: (u: User) => void }) {
  const { t } = useTranslation();
  const [email, setEmail] = useState(user.email);
  const [name, setName] = useState(user.name);
  const [software, setSoftware] = useState<Software>(user.emailSoftware);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState(false);
  const changed = email !== user.email || name !== user.name || software !== user.emailSoftware;
  const id = `user-${user.id}`;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      onSaved(await call<User>('PUT', `/users/${encodeURIComponent(user.id)}`, { email: email.trim(), name, emailSoftware: software }));
      setSaved(true);
    } catch (err) {
      setError(err instanceof ApiError && err.fields[0] ? `${err.fields[0].field}: ${err.fields[0].message}` : errorText(err));
    }
  };

  return (
    <tr>
      <th scope="row">{user.id}</th>
      <td>
        <label className="visually-hidden" htmlFor={`${id}-name`}>{t('users.nameOf', { id: user.id })}</label>
        <input id={`${id}-name`} value={name} onChange={(e) => (setName(e.target.value), setSaved(false))} />
      </td>
      <td>
        <label className="visually-hidden" htmlFor={`${id}-email`}>{t('users.addressOf', { id: user.id })}</label>
        <input id={`${id}-email`} value={email} onChange={(e) => (setEmail(e.target.value), setSaved(false))} />
        {error && <p className="field-error" role="alert">{error}</p>}
      </td>
      <td>
        <label className="visually-hidden" htmlFor={`${id}-software`}>{t('users.softwareOf', { id: user.id })}</label>
        <select id={`${id}-software`} value={software} onChange={(e) => (setSoftware(e.target.value as Software), setSaved(false))}>
          {Object.entries(SOFTWARE).map(([v, label]) => (
            <option key={v} value={v}>{t(label)}</option>
          ))}
        </select>
      </td>
      <td>
        <form onSubmit={save}>
          <button disabled={!changed}>{t('common.save')}</button>
          <span className="status saved" role="status">{saved && !changed ? t('save.saved') : ''}</span>
        </form>
      </td>
    </tr>
  );
}

export function UsersPage() {
  const { t } = useTranslation();
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState('');
  const [draft, setDraft] = useState({ id: '', name: '', email: '', emailSoftware: 'server' as Software });
  const [addError, setAddError] = useState('');

  useEffect(() => {
    call<User[]>('GET', '/users').then(setUsers, (e: unknown) => setError(errorText(e)));
  }, []);

  const replace = (u: User) => setUsers((list) => [...(list ?? []).filter((x) => x.id !== u.id), u].sort((a, b) => a.email.localeCompare(b.email)));

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setAddError('');
    try {
      replace(await call<User>('PUT', `/users/${encodeURIComponent(draft.id.trim())}`, { email: draft.email.trim(), name: draft.name, emailSoftware: draft.emailSoftware }));
      setDraft({ id: '', name: '', email: '', emailSoftware: 'server' });
    } catch (err) {
      setAddError(err instanceof ApiError && err.fields[0] ? `${err.fields[0].field}: ${err.fields[0].message}` : errorText(err));
    }
  };

  return (
    <div className="users">
      <h1>{t('users.title')}</h1>
      <p className="help">{t('users.help')}</p>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('users.id')}</th>
              <th scope="col">{t('users.name')}</th>
              <th scope="col">{t('users.address')}</th>
              <th scope="col">{t('users.software')}</th>
              <th scope="col"><span className="visually-hidden">{t('common.save')}</span></th>
            </tr>
          </thead>
          <tbody>{users?.map((u) => <UserRow key={u.id} user={u} onSaved={replace} />)}</tbody>
        </table>
        {users && users.length === 0 && <p>{t('users.none', { route: 'PUT /api/v1/users/{id}' })}</p>}
      </div>
      <form className="add-user" onSubmit={add} noValidate>
        <h2>{t('users.add')}</h2>
        <label htmlFor="new-id">{t('users.newId')}</label>
        <input id="new-id" value={draft.id} onChange={(e) => setDraft({ ...draft, id: e.target.value })} />
        <label htmlFor="new-name">{t('users.name')}</label>
        <input id="new-name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        <label htmlFor="new-email">{t('users.address')}</label>
        <input id="new-email" value={draft.email} onChange={(e) => setDraft({ ...draft, email: e.target.value })} />
        <label htmlFor="new-software">{t('users.software')}</label>
        <select id="new-software" value={draft.emailSoftware} onChange={(e) => setDraft({ ...draft, emailSoftware: e.target.value as Software })}>
          {Object.entries(SOFTWARE).map(([v, label]) => (
            <option key={v} value={v}>{t(label)}</option>
          ))}
        </select>
        {addError && <p className="field-error" role="alert">{addError}</p>}
        <button disabled={!draft.id.trim() || !draft.email.trim()}>{t('users.addButton')}</button>
      </form>
    </div>
  );
}
