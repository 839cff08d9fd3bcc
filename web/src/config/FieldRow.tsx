// One setting on Configuration > Email: its label, help, input and its own Save. Save is
// enabled only when the value differs from the stored one; a refusal shows under the field.
// The draft is the page's (edits.ts): the row's Save and the page's "Save all changes" share it.
import type { FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { FieldInfo } from '../types';
import { fieldHelp, fieldLabel } from './fieldText';
import { dateText } from '../i18n';
import { isChange, toDraft, type Draft, type SaveState } from './edits';

export type { SaveState } from './edits';

export interface RowProps {
  field: FieldInfo;
  stored: unknown;
  dimmedBecause: string | null;
  /** Label of the stored secret that saving a new value here clears; null when none is stored. */
  clears?: string | null;
  /** The unsaved draft, or undefined when the row shows the stored value. */
  edit: Draft | undefined;
  state: SaveState;
  /** A new draft; undefined drops it (back to the stored value). */
  onEdit: (draft: Draft | undefined) => void;
  /** Saves this row's draft on its own. */
  onSave: () => void;
}

export function FieldRow({ field, stored, dimmedBecause, clears = null, edit, state, onEdit, onSave }: RowProps) {
  const { t } = useTranslation();
  const draft = edit ?? toDraft(stored);
  const changed = isChange(field, edit, stored);
  const setDraft = (next: Draft) => onEdit(next === toDraft(stored) ? undefined : next);
  const id = `field-${field.key}`;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (changed) onSave();
  };

  const warnId = `${id}-clears`;
  // Said before the save: the stored secret was saved for the current value and is not sent elsewhere.
  const warnClears = changed && clears !== null;
  const describedBy = [helpId, warnClears ? warnId : '', state.kind === 'error' ? errorId : ''].filter(Boolean).join(' ');
  const input =
    field.kind === 'bool' ? (
      <input id={id} type="checkbox" checked={draft === true} aria-describedby={describedBy} onChange={(e) => {
        setDraft(e.target.checked);
      }} />
    ) : field.choices ? (
      <select id={id} value={String(draft)} aria-describedby={describedBy} onChange={(e) => {
        setDraft(e.target.value);
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
        }}
      />
    );

  return (
    <form className={`row${dimmedBecause ? ' dimmed' : ''}${changed ? ' edited' : ''}`} onSubmit={save} noValidate data-key={field.key}>
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
