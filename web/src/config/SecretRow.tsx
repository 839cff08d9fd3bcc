// A secret setting: its value is never shown, never kept in the page after it is saved, and
// never read back. The row says whether it is set and since when, with Replace and Clear. While it
// is open, what is typed is the page's draft (edits.ts), saved by the row or by "Save all changes".
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { SecretState } from '../types';
import { Confirm } from '../shell/Confirm';
import { dateTimeText } from '../i18n';
import { fieldHelp, fieldLabel } from './fieldText';
import { SaveStatus, type RowProps } from './FieldRow';

/** Secrets that come as a file (a key file, a certificate with its key): the row also takes the file. */
const FROM_FILE = new Set(['googleServiceAccountKey', 'clientCertificate']);

/** A secret row's props: `edit` is what is typed ('' once opened), undefined while closed; `onClear` clears the stored secret. */
export function SecretRow({ field, stored, dimmedBecause, edit, state, onEdit, onSave, onClear }: RowProps & { onClear: () => void }) {
  const { t } = useTranslation();
  const when = (iso: string | null) => (iso ? dateTimeText(iso) : t('secret.unknownDate'));
  const secret = (stored ?? { set: false, updatedAt: null }) as SecretState;
  const editing = edit !== undefined;
  const value = typeof edit === 'string' ? edit : '';
  const [confirmClear, setConfirmClear] = useState(false);
  const id = `field-${field.key}`;

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (value !== '') onSave();
  };

  return (
    <form className={`row${dimmedBecause ? ' dimmed' : ''}${value !== '' ? ' edited' : ''}`} onSubmit={save} noValidate data-key={field.key}>
      <label htmlFor={editing ? id : `${id}-state`}>{fieldLabel(field)}</label>
      <div className="control">
        {editing ? (
          <input
            id={id}
            type="password"
            autoComplete="new-password"
            value={value}
            autoFocus
            aria-invalid={state.kind === 'error'}
            aria-describedby={`${id}-help${state.kind === 'error' ? ` ${id}-error` : ''}`}
            onChange={(e) => onEdit(e.target.value)}
          />
        ) : (
          <output id={`${id}-state`} className="secret-state">
            {secret.set ? t('secret.setOn', { when: when(secret.updatedAt) }) : t('secret.notSet')}
          </output>
        )}
        {editing && FROM_FILE.has(field.key) && (
          <input
            type="file"
            aria-label={t('secret.fromFile', { label: fieldLabel(field) })}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void file.text().then((text) => onEdit(text));
            }}
          />
        )}
        <p id={`${id}-help`} className="help">
          {fieldHelp(field)}
          {dimmedBecause && <span className="unused"> {dimmedBecause}</span>}
        </p>
        {state.kind === 'error' && (
          <p id={`${id}-error`} className="field-error" role="alert">
            {state.message}
          </p>
        )}
      </div>
      <div className="save">
        {editing ? (
          <>
            <button disabled={value === '' || state.kind === 'saving'}>{t('common.save')}</button>
            <button
              type="button"
              onClick={() => onEdit(undefined)}
            >
              {t('common.cancel')}
            </button>
          </>
        ) : (
          <>
            <button type="button" onClick={() => onEdit('')}>
              {secret.set ? t('secret.replace') : t('secret.set')}
            </button>
            {secret.set && (
              <button type="button" onClick={() => setConfirmClear(true)}>
                {t('secret.clear')}
              </button>
            )}
          </>
        )}
        <SaveStatus state={state} />
      </div>
      {confirmClear && (
        <Confirm
          title={t('secret.clearTitle', { label: fieldLabel(field) })}
          confirmLabel={t('secret.clear')}
          onCancel={() => setConfirmClear(false)}
          onConfirm={() => {
            setConfirmClear(false);
            onClear();
          }}
        >
          <p>{t('secret.clearText')}</p>
        </Confirm>
      )}
    </form>
  );
}
