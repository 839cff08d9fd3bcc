// A secret setting: its value is never shown, never kept in the page after it is saved, and
// never read back. The row says whether it is set and since when, with Replace and Clear.
import { useState, type FormEvent } from 'react';
import { call } from '../api';
import type { SecretState, SettingsView } from '../types';
import { Confirm } from '../shell/Confirm';
import { rowError, SaveStatus, type RowProps, type SaveState } from './FieldRow';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'an unknown date');

export function SecretRow({ field, stored, dimmedBecause, onSaved }: RowProps) {
  const secret = (stored ?? { set: false, updatedAt: null }) as SecretState;
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  const [state, setState] = useState<SaveState>({ kind: 'idle' });
  const [confirmClear, setConfirmClear] = useState(false);
  const id = `field-${field.key}`;

  const store = async (next: string) => {
    setState({ kind: 'saving' });
    try {
      const view = await call<SettingsView>('PATCH', '/settings/email', { [field.key]: next });
      setValue('');
      setEditing(false);
      setState({ kind: 'saved' });
      onSaved(view);
    } catch (err) {
      setState({ kind: 'error', message: rowError(field, err) });
    }
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (value !== '') void store(value);
  };

  return (
    <form className={`row${dimmedBecause ? ' dimmed' : ''}`} onSubmit={save} noValidate data-key={field.key}>
      <label htmlFor={editing ? id : `${id}-state`}>{field.label}</label>
      <div className="control">
        {editing ? (
          <input
            id={id}
            type="password"
            autoComplete="new-password"
            value={value}
            autoFocus
            aria-describedby={`${id}-help`}
            onChange={(e) => {
              setValue(e.target.value);
              setState({ kind: 'idle' });
            }}
          />
        ) : (
          <output id={`${id}-state`} className="secret-state">
            {secret.set ? `Set on ${when(secret.updatedAt)}` : 'Not set'}
          </output>
        )}
        <p id={`${id}-help`} className="help">
          {field.help}
          {dimmedBecause && <span className="unused"> {dimmedBecause}</span>}
        </p>
        {state.kind === 'error' && (
          <p className="field-error" role="alert">
            {state.message}
          </p>
        )}
      </div>
      <div className="save">
        {editing ? (
          <>
            <button disabled={value === '' || state.kind === 'saving'}>Save</button>
            <button
              type="button"
              onClick={() => {
                setValue('');
                setEditing(false);
                setState({ kind: 'idle' });
              }}
            >
              Cancel
            </button>
          </>
        ) : (
          <>
            <button type="button" onClick={() => setEditing(true)}>
              {secret.set ? 'Replace' : 'Set'}
            </button>
            {secret.set && (
              <button type="button" onClick={() => setConfirmClear(true)}>
                Clear
              </button>
            )}
          </>
        )}
        <SaveStatus state={state} />
      </div>
      {confirmClear && (
        <Confirm
          title={`Clear ${field.label}?`}
          confirmLabel="Clear"
          onCancel={() => setConfirmClear(false)}
          onConfirm={() => {
            setConfirmClear(false);
            void store('');
          }}
        >
          <p>The stored value is deleted. A route that needs it stops sending until a new one is set; e-mails wait.</p>
        </Confirm>
      )}
    </form>
  );
}
