// A secret setting: its value is never shown, never kept in the page after it is saved, and
// never read back. The row says whether it is set and since when, with Replace and Clear.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { call } from '../api';
import type { SecretState, SettingsView } from '../types';
import { Confirm } from '../shell/Confirm';
import { dateTimeText } from '../i18n';
import { fieldHelp, fieldLabel } from './fieldText';
import { rowError, SaveStatus, type RowProps, type SaveState } from './FieldRow';

/** Secrets that come as a file (a key file, a certificate with its key): the row also takes the file. */
const FROM_FILE = new Set(['googleServiceAccountKey', 'clientCertificate']);

export function SecretRow({ field, stored, dimmedBecause, onSaved }: RowProps) {
  const { t } = useTranslation();
  const when = (iso: string | null) => (iso ? dateTimeText(iso) : t('secret.unknownDate'));
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
      <label htmlFor={editing ? id : `${id}-state`}>{fieldLabel(field)}</label>
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
            {secret.set ? t('secret.setOn', { when: when(secret.updatedAt) }) : t('secret.notSet')}
          </output>
        )}
        {editing && FROM_FILE.has(field.key) && (
          <input
            type="file"
            aria-label={t('secret.fromFile', { label: fieldLabel(field) })}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void file.text().then((text) => setValue(text));
            }}
          />
        )}
        <p id={`${id}-help`} className="help">
          {fieldHelp(field)}
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
            <button disabled={value === '' || state.kind === 'saving'}>{t('common.save')}</button>
            <button
              type="button"
              onClick={() => {
                setValue('');
                setEditing(false);
                setState({ kind: 'idle' });
              }}
            >
              {t('common.cancel')}
            </button>
          </>
        ) : (
          <>
            <button type="button" onClick={() => setEditing(true)}>
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
            void store('');
          }}
        >
          <p>{t('secret.clearText')}</p>
        </Confirm>
      )}
    </form>
  );
}
