// A PEM certificate setting (a private CA for the SMTP relay or for a proxy in front of
// Microsoft): pasted into a text area, and shown as what it is — subject, issuer and expiry.
import type { FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { dateText } from '../i18n';
import type { CertificateInfo } from '../types';
import { fieldHelp, fieldLabel } from './fieldText';
import { SaveStatus, type RowProps } from './FieldRow';
import { isChange } from './edits';

export function CertificateRow({ field, stored, dimmedBecause, edit, state, onEdit, onSave, certificates }: RowProps & { certificates: CertificateInfo[] }) {
  const { t } = useTranslation();
  const current = typeof stored === 'string' ? stored : '';
  const draft = typeof edit === 'string' ? edit : current;
  const id = `field-${field.key}`;
  const changed = isChange(field, edit, stored);

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (changed) onSave();
  };

  return (
    <form className={`row${dimmedBecause ? ' dimmed' : ''}${changed ? ' edited' : ''}`} onSubmit={save} noValidate data-key={field.key}>
      <label htmlFor={id}>{fieldLabel(field)}</label>
      <div className="control">
        <textarea
          id={id}
          rows={current || draft ? 6 : 2}
          spellCheck={false}
          autoComplete="off"
          placeholder={t('certificate.placeholder')}
          value={draft}
          aria-invalid={state.kind === 'error'}
          aria-describedby={`${id}-help ${id}-certificates${state.kind === 'error' ? ` ${id}-error` : ''}`}
          onChange={(e) => onEdit(e.target.value === current ? undefined : e.target.value)}
        />
        <ul id={`${id}-certificates`} className="certificates">
          {certificates.map((c) => (
            <li key={`${c.subject}-${c.expiresAt}`}>
              <strong>{c.subject}</strong>
              {t('certificate.issuedBy', { issuer: c.issuer, expires: dateText(c.expiresAt) })}
            </li>
          ))}
        </ul>
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
        <button disabled={!changed || state.kind === 'saving'}>{t('common.save')}</button>
        <SaveStatus state={state} />
      </div>
    </form>
  );
}
