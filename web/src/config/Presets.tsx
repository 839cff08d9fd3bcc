// The three presets of the setup guides. A click shows exactly which settings change, from what
// to what, and applies them only on confirmation; addresses are never touched, and a secret
// saved for another server is cleared (and the dialog says so).
import { useState } from 'react';
import { call, errorText } from '../api';
import { Confirm } from '../shell/Confirm';
import { Link } from '../router';
import type { FieldInfo, Preset, SettingsView } from '../types';

const shown = (v: unknown) => (typeof v === 'boolean' ? (v ? 'checked' : 'unchecked') : v === '' ? '(empty)' : String(v));

export function Presets({ presets, fields, view, onApplied }: { presets: Preset[]; fields: FieldInfo[]; view: SettingsView; onApplied: (v: SettingsView, next: string) => void }) {
  const [asking, setAsking] = useState<Preset | null>(null);
  const [error, setError] = useState('');

  const apply = async (preset: Preset) => {
    setAsking(null);
    setError('');
    try {
      onApplied(await call<SettingsView>('POST', `/settings/email/presets/${preset.name}`), preset.next);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const changes = (p: Preset) =>
    Object.entries(p.values)
      .filter(([k, v]) => view.settings[k] !== v)
      .map(([k, v]) => ({ key: k, label: fields.find((f) => f.key === k)?.label ?? k, from: shown(view.settings[k]), to: shown(v) }));

  // A secret is bound to where it goes (fields' clearsSecret): a preset that moves it clears it.
  const clearedBy = (p: Preset) => {
    const secrets = new Set(changes(p).map((c) => fields.find((f) => f.key === c.key)?.clearsSecret).filter((k): k is string => Boolean(k)));
    return [...secrets].filter((k) => (view.settings[k] as { set?: boolean } | undefined)?.set).map((k) => fields.find((f) => f.key === k)?.label ?? k);
  };

  return (
    <section className="presets" aria-labelledby="presets-title">
      <h2 id="presets-title">Presets</h2>
      <p className="help">Fill in the values of a setup guide in one step. Your addresses are not touched; a secret saved for another server is cleared.</p>
      <div className="preset-buttons">
        {presets.map((p) => (
          <span key={p.name} className="preset">
            <button type="button" onClick={() => setAsking(p)}>
              {p.title}
            </button>
            <Link href={`/guides/${p.name}`}>guide</Link>
          </span>
        ))}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {asking && (
        <Confirm title={`Apply “${asking.title}”?`} confirmLabel="Apply" onCancel={() => setAsking(null)} onConfirm={() => void apply(asking)}>
          {changes(asking).length === 0 ? (
            <p>The settings already have these values: nothing changes.</p>
          ) : (
            <table className="changes">
              <caption>These settings change</caption>
              <thead>
                <tr>
                  <th scope="col">Setting</th>
                  <th scope="col">Now</th>
                  <th scope="col">After</th>
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
              The stored {label} is cleared: it was saved for the current server and is never sent to another one. Enter it again afterwards.
            </p>
          ))}
          <p>Then: {asking.next}.</p>
        </Confirm>
      )}
    </section>
  );
}
