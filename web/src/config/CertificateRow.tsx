// A PEM certificate setting (a private CA for the SMTP relay or for a proxy in front of
// Microsoft): pasted into a text area, and shown as what it is — subject, issuer and expiry.
import { useEffect, useState, type FormEvent } from 'react';
import { call } from '../api';
import type { CertificateInfo, SettingsView } from '../types';
import { rowError, SaveStatus, type RowProps, type SaveState } from './FieldRow';

export function CertificateRow({ field, stored, dimmedBecause, onSaved, certificates }: RowProps & { certificates: CertificateInfo[] }) {
  const current = typeof stored === 'string' ? stored : '';
  const [draft, setDraft] = useState(current);
  const [state, setState] = useState<SaveState>({ kind: 'idle' });
  useEffect(() => setDraft(current), [current]);
  const id = `field-${field.key}`;
  const changed = draft.trim() !== current.trim();

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!changed) return;
    setState({ kind: 'saving' });
    try {
      onSaved(await call<SettingsView>('PATCH', '/settings/email', { [field.key]: draft }));
      setState({ kind: 'saved' });
    } catch (err) {
      setState({ kind: 'error', message: rowError(field, err) });
    }
  };

  return (
    <form className={`row${dimmedBecause ? ' dimmed' : ''}`} onSubmit={save} noValidate data-key={field.key}>
      <label htmlFor={id}>{field.label}</label>
      <div className="control">
        <textarea
          id={id}
          rows={current || draft ? 6 : 2}
          spellCheck={false}
          autoComplete="off"
          placeholder="-----BEGIN CERTIFICATE-----"
          value={draft}
          aria-invalid={state.kind === 'error'}
          aria-describedby={`${id}-help ${id}-certificates${state.kind === 'error' ? ` ${id}-error` : ''}`}
          onChange={(e) => {
            setDraft(e.target.value);
            setState({ kind: 'idle' });
          }}
        />
        <ul id={`${id}-certificates`} className="certificates">
          {certificates.map((c) => (
            <li key={`${c.subject}-${c.expiresAt}`}>
              <strong>{c.subject}</strong>, issued by {c.issuer}, expires {new Date(c.expiresAt).toLocaleDateString()}
            </li>
          ))}
        </ul>
        <p id={`${id}-help`} className="help">
          {field.help}
          {dimmedBecause && <span className="unused"> {dimmedBecause}</span>}
        </p>
        {state.kind === 'error' && (
          <p id={`${id}-error`} className="field-error" role="alert">
            {state.message}
          </p>
        )}
      </div>
      <div className="save">
        <button disabled={!changed || state.kind === 'saving'}>Save</button>
        <SaveStatus state={state} />
      </div>
    </form>
  );
}
