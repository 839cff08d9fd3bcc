// One setting on Configuration > Email: its label, help, input and its own Save. Save is
// enabled only when the value differs from the stored one; a refusal shows under the field.
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, call, errorText } from '../api';
import type { FieldInfo, SettingsView } from '../types';
import { fieldHelp, fieldLabel } from './fieldText';
import { dateText } from '../i18n';

type Draft = string | boolean;

const toDraft = (v: unknown): Draft => (typeof v === 'boolean' ? v : v === undefined || v === null ? '' : String(v));

/** What goes to the API: whole numbers as numbers; anything else as typed, for the server to judge. */
function toValue(field: FieldInfo, draft: Draft): unknown {
  if (field.kind === 'int' && typeof draft === 'string' && /^-?\d+$/.test(draft.trim())) return Number(draft.trim());
  return typeof draft === 'string' && field.kind !== 'int' ? draft.trim() : draft;
}

export interface RowProps {
  field: FieldInfo;
  stored: unknown;
  dimmedBecause: string | null;
  /** Label of the stored secret that saving a new value here clears; null when none is stored. */
  clears?: string | null;
  onSaved: (view: SettingsView) => void;
}

export type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'error'; message: string };

export function rowError(field: FieldInfo, err: unknown): string {
  return err instanceof ApiError ? (err.fieldMessage(field.key) ?? err.message) : errorText(err);
}

export function FieldRow({ field, stored, dimmedBecause, clears = null, onSaved }: RowProps) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<Draft>(toDraft(stored));
  const [state, setState] = useState<SaveState>({ kind: 'idle' });
  // A save elsewhere (a preset) changes the stored value: follow it unless the user is editing.
  const [lastStored, setLastStored] = useState(stored);
  useEffect(() => {
    if (stored !== lastStored) {
      setLastStored(stored);
      setDraft(toDraft(stored));
    }
  }, [stored, lastStored]);

  const changed = toDraft(stored) !== draft;
  const id = `field-${field.key}`;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!changed) return;
    setState({ kind: 'saving' });
    try {
      const view = await call<SettingsView>('PATCH', '/settings/email', { [field.key]: toValue(field, draft) });
      setState({ kind: 'saved' });
      onSaved(view);
    } catch (err) {
      setState({ kind: 'error', message: rowError(field, err) });
    }
  };

  const warnId = `${id}-clears`;
  // Said before the save: the stored secret was saved for the current value and is not sent elsewhere.
  const warnClears = changed && clears !== null;
  const describedBy = [helpId, warnClears ? warnId : '', state.kind === 'error' ? errorId : ''].filter(Boolean).join(' ');
  const input =
    field.kind === 'bool' ? (
      <input id={id} type="checkbox" checked={draft === true} aria-describedby={describedBy} onChange={(e) => {
        setDraft(e.target.checked);
        setState({ kind: 'idle' });
      }} />
    ) : field.choices ? (
      <select id={id} value={String(draft)} aria-describedby={describedBy} onChange={(e) => {
        setDraft(e.target.value);
        setState({ kind: 'idle' });
      }}>
        {field.choices.map((c) => (
          <option key={c} value={c}>{c}</option>
        ))}
      </select>
    ) : field.readOnly ? (
      // Read from another setting (a certificate's expiry, a key's account): shown as text, never as an empty date picker.
      <output id={id} className="read-only" aria-describedby={describedBy}>
        {draft === '' ? t('common.empty') : field.kind === 'date' ? dateText(String(draft)) : String(draft)}
      </output>
    ) : (
      <input
        id={id}
        type={field.kind === 'date' ? 'date' : 'text'}
        inputMode={field.kind === 'int' ? 'numeric' : field.kind === 'email' ? 'email' : undefined}
        autoComplete="off"
        spellCheck={false}
        value={String(draft)}
        aria-invalid={state.kind === 'error'}
        aria-describedby={describedBy}
        onChange={(e) => {
          setDraft(e.target.value);
          setState({ kind: 'idle' });
        }}
      />
    );

  return (
    <form className={`row${dimmedBecause ? ' dimmed' : ''}`} onSubmit={save} noValidate data-key={field.key}>
      <label htmlFor={id}>{fieldLabel(field)}</label>
      <div className="control">
        {input}
        <p id={helpId} className="help">
          {fieldHelp(field)}
          {dimmedBecause && <span className="unused"> {dimmedBecause}</span>}
        </p>
        {warnClears && (
          <p id={warnId} className="clears-secret" role="note">
            {t('config.clearsSecret', { label: clears })}
          </p>
        )}
        {state.kind === 'error' && (
          <p id={errorId} className="field-error" role="alert">
            {state.message}
          </p>
        )}
      </div>
      <div className="save">
        {!field.readOnly && <button disabled={!changed || state.kind === 'saving'}>{t('common.save')}</button>}
        <SaveStatus state={state} />
      </div>
    </form>
  );
}

export function SaveStatus({ state }: { state: SaveState }) {
  const { t } = useTranslation();
  return (
    <span className={`status ${state.kind}`} role="status">
      {state.kind === 'saving' ? t('save.saving') : state.kind === 'saved' ? t('save.saved') : state.kind === 'error' ? t('save.notSaved') : ''}
    </span>
  );
}
