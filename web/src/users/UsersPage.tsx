// The user directory: each user's address and e-mail software (sent by Postroom, or a draft
// in Outlook (New)). Host applications keep it up to date; administrators can edit it here.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, call, errorText } from '../api';
import type { User } from '../types';

type Software = User['emailSoftware'];
const SOFTWARE: Record<Software, string> = { server: 'Sent by Postroom (server)', 'outlook-new': 'Draft in Outlook (New)' };

function UserRow({ user, onSaved }: { user: User; onSaved: (u: User) => void }) {
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
        <label className="visually-hidden" htmlFor={`${id}-name`}>Name of {user.id}</label>
        <input id={`${id}-name`} value={name} onChange={(e) => (setName(e.target.value), setSaved(false))} />
      </td>
      <td>
        <label className="visually-hidden" htmlFor={`${id}-email`}>Address of {user.id}</label>
        <input id={`${id}-email`} value={email} onChange={(e) => (setEmail(e.target.value), setSaved(false))} />
        {error && <p className="field-error" role="alert">{error}</p>}
      </td>
      <td>
        <label className="visually-hidden" htmlFor={`${id}-software`}>E-mail software of {user.id}</label>
        <select id={`${id}-software`} value={software} onChange={(e) => (setSoftware(e.target.value as Software), setSaved(false))}>
          {Object.entries(SOFTWARE).map(([v, label]) => (
            <option key={v} value={v}>{label}</option>
          ))}
        </select>
      </td>
      <td>
        <form onSubmit={save}>
          <button disabled={!changed}>Save</button>
          <span className="status saved" role="status">{saved && !changed ? 'Saved' : ''}</span>
        </form>
      </td>
    </tr>
  );
}

export function UsersPage() {
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
      <h1>Users</h1>
      <p className="help">The e-mail software decides what happens when the host application asks Postroom to compose an e-mail for a user: Postroom sends it, or puts a draft in Outlook (New).</p>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Name</th>
              <th scope="col">Address</th>
              <th scope="col">E-mail software</th>
              <th scope="col"><span className="visually-hidden">Save</span></th>
            </tr>
          </thead>
          <tbody>{users?.map((u) => <UserRow key={u.id} user={u} onSaved={replace} />)}</tbody>
        </table>
        {users && users.length === 0 && <p>No user yet: host applications add them with PUT /api/v1/users/&#123;id&#125;, or add one below.</p>}
      </div>
      <form className="add-user" onSubmit={add} noValidate>
        <h2>Add a user</h2>
        <label htmlFor="new-id">ID (the host application’s user ID)</label>
        <input id="new-id" value={draft.id} onChange={(e) => setDraft({ ...draft, id: e.target.value })} />
        <label htmlFor="new-name">Name</label>
        <input id="new-name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        <label htmlFor="new-email">Address</label>
        <input id="new-email" value={draft.email} onChange={(e) => setDraft({ ...draft, email: e.target.value })} />
        <label htmlFor="new-software">E-mail software</label>
        <select id="new-software" value={draft.emailSoftware} onChange={(e) => setDraft({ ...draft, emailSoftware: e.target.value as Software })}>
          {Object.entries(SOFTWARE).map(([v, label]) => (
            <option key={v} value={v}>{label}</option>
          ))}
        </select>
        {addError && <p className="field-error" role="alert">{addError}</p>}
        <button disabled={!draft.id.trim() || !draft.email.trim()}>Add user</button>
      </form>
    </div>
  );
}
