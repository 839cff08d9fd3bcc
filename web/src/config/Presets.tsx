// The three presets of the setup guides. A click shows exactly which settings change, from what
// to what, and applies them only on confirmation; addresses are never touched, and a secret
// saved for another server is cleared (and the dialog says so).
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import i18next from '../i18n';
import { call, errorText } from '../api';
import { Confirm } from '../shell/Confirm';
import { Link } from '../router';
import type { FieldInfo, Preset, SettingsView } from '../types';
import { fieldLabel } from './fieldText';

const shown = (v: unknown) =>
  typeof v === 'boolean' ? i18next.t(v ? 'presets.checked' : 'presets.unchecked') : v === '' ? i18next.t('common.empty') : String(v);
/** A preset's title and next step in the console's language, the server's words otherwise. */
export const presetTitle = (p: Preset) => i18next.t(`presetText.${p.name}.title`, { defaultValue: p.title });
const presetNext = (p: Preset) => i18next.t(`presetText.${p.name}.next`, { defaultValue: p.next });

export function Presets({ presets, fields, view, onApplied }: { presets: Preset[]; fields: FieldInfo[]; view: SettingsView; onApplied: (v: SettingsView, next: string) => void }) {
  const { t } = useTranslation();
  const [asking, setAsking] = useState<Preset | null>(null);
  const [error, setError] = useState('');

  const apply = async (preset: Preset) => {
    setAsking(null);
    setError('');
    try {
      onApplied(await call<SettingsView>('POST', `/settings/email/presets/${preset.name}`), presetNext(preset));
    } catch (err) {
      setError(errorText(err));
    }
  };

  const labelFor = (k: string) => {
    const field = fields.find((f) => f.key === k);
    return field ? fieldLabel(field) : k;
  };
  const changes = (p: Preset) =>
    Object.entries(p.values)
      .filter(([k, v]) => view.settings[k] !== v)
      .map(([k, v]) => ({ key: k, label: labelFor(k), from: shown(view.settings[k]), to: shown(v) }));

  // A secret is bound to where and how it goes (fields' clearsSecrets): a preset that moves it clears it.
  const clearedBy = (p: Preset) => {
    const secrets = new Set(changes(p).flatMap((c) => fields.find((f) => f.key === c.key)?.clearsSecrets ?? []));
    return [...secrets].filter((k) => (view.settings[k] as { set?: boolean } | undefined)?.set).map(labelFor);
  };

  return (
    <section className="presets" aria-labelledby="presets-title">
      <h2 id="presets-title">{t('presets.title')}</h2>
      <p className="help">{t('presets.help')}</p>
      <div className="preset-buttons">
        {presets.map((p) => (
          <span key={p.name} className="preset">
            <button type="button" onClick={() => setAsking(p)}>
              {presetTitle(p)}
            </button>
            <Link href={`/guides/${p.name}`}>{t('presets.guide')}</Link>
          </span>
        ))}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {asking && (
        <Confirm title={t('presets.applyTitle', { title: presetTitle(asking) })} confirmLabel={t('presets.apply')} onCancel={() => setAsking(null)} onConfirm={() => void apply(asking)}>
          {changes(asking).length === 0 ? (
            <p>{t('presets.nothingChanges')}</p>
          ) : (
            <table className="changes">
              <caption>{t('presets.changesCaption')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('presets.setting')}</th>
                  <th scope="col">{t('presets.now')}</th>
                  <th scope="col">{t('presets.after')}</th>
                </tr>
              </thead>
              <tbody>
                {changes(asking).map((c) => (
                  <tr key={c.key}>
                    <td>{c.label}</td>
                    <td>{c.from}</td>
                    <td>{c.to}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {clearedBy(asking).map((label) => (
            <p key={label} className="clears-secret" role="note">
              {t('presets.clearsSecret', { label })}
            </p>
          ))}
          <p>{t('presets.then', { next: presetNext(asking) })}</p>
        </Confirm>
      )}
    </section>
  );
}
