// Configuration > Email: one row per setting in the order of the reference screen, the
// problems banner, presets, the connection tests and bounce processing. Each row saves on its own.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import type { FieldInfo, Preset, SettingsView } from '../types';
import { ProblemsBanner } from './Banners';
import { fieldLabel } from './fieldText';
import { FieldRow } from './FieldRow';
import { Presets } from './Presets';
import { activeRoutes, ROUTE_NAMES, unusedBecause } from './routes';
import { SecretRow } from './SecretRow';
import { CertificateRow } from './CertificateRow';
import { TestPanel } from './TestPanel';
import { BouncePanel } from './BouncePanel';

export function ConfigPage() {
  const { t } = useTranslation();
  const [fields, setFields] = useState<FieldInfo[] | null>(null);
  const [view, setView] = useState<SettingsView | null>(null);
  const [presets, setPresets] = useState<Preset[]>([]);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');

  useEffect(() => {
    Promise.all([
      call<FieldInfo[]>('GET', '/settings/email/fields'),
      call<SettingsView>('GET', '/settings/email'),
      call<Preset[]>('GET', '/settings/email/presets'),
    ]).then(
      ([f, v, p]) => {
        setFields(f);
        setView(v);
        setPresets(p);
      },
      (err: unknown) => setError(errorText(err)),
    );
  }, []);

  // A link from a guide or the banner (#field-tenantId) brings that field into view and focus.
  useEffect(() => {
    if (!fields || !location.hash.startsWith('#field-')) return;
    const el = document.getElementById(location.hash.slice(1)) ?? document.getElementById(`${location.hash.slice(1)}-state`);
    el?.scrollIntoView({ block: 'center' });
    el?.focus();
  }, [fields]);

  if (error) return <p className="field-error" role="alert">{error}</p>;
  if (!fields || !view) return <p className="loading">{t('config.loading')}</p>;

  const active = activeRoutes(view);
  // A save that cleared a secret says so where the administrator looks.
  const onSaved = (v: SettingsView) => {
    setView(v);
    if (v.cleared?.length) setNotice(v.cleared.map((c) => c.message).join(' '));
  };
  const sending = [...active].filter((r) => r !== 'drafts').map((r) => t(ROUTE_NAMES[r]));
  const rowOf = (f: FieldInfo) => {
    if (f.kind === 'pem') return <CertificateRow key={f.key} field={f} stored={view.settings[f.key]} dimmedBecause={unusedBecause(f, active)} onSaved={onSaved} certificates={view.certificates?.[f.key] ?? []} />;
    if (f.kind === 'secret') return <SecretRow key={f.key} field={f} stored={view.settings[f.key]} dimmedBecause={unusedBecause(f, active)} onSaved={onSaved} />;
    const storedSecrets = (f.clearsSecrets ?? []).filter((k) => {
      const secret = view.settings[k];
      return typeof secret === 'object' && secret !== null && secret.set;
    });
    const clears = storedSecrets.map((k) => fieldLabel(fields.find((x) => x.key === k) ?? { key: k, label: k })).join(', ') || null;
    return <FieldRow key={f.key} field={f} stored={view.settings[f.key]} dimmedBecause={unusedBecause(f, active)} clears={clears} onSaved={onSaved} />;
  };
  // Only a provider's own rows fold; the SMTP rows stay in view, dimmed, when Graph is the route.
  const providerOnly = (f: FieldInfo) => f.routes.every((r) => r === 'oauth' || r === 'graph' || r === 'drafts') || f.routes.every((r) => r === 'google');
  const folded = fields.filter((f) => providerOnly(f) && unusedBecause(f, active) !== null);
  const shown = fields.filter((f) => !folded.includes(f));
  const foldedTarget = folded.some((f) => location.hash === `#field-${f.key}`);

  return (
    <div className="config">
      <h1>{t('config.title')}</h1>
      <ProblemsBanner problems={view.problems} warnings={view.warnings} fields={fields} enabled={view.settings.enabled === true} />
      <p className="route-in-use">
        {t('config.routeInUse')} <strong>{sending.join(', ')}</strong>
        {active.has('drafts') && ` · ${t('config.draftsToo')}`}. {t('config.dimmedExplained')}{' '}
        {/* The test is at the foot of a long page: reachable from the top without scrolling. */}
        <a href="#tests-title">{t('config.jumpToTest')}</a>
      </p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className="rows">{shown.map(rowOf)}</div>
      {folded.length > 0 && (
        // A provider's own settings (Microsoft 365, Google) that the route in use does not use: out of
        // the way, one click from view, and open when a link points into them.
        <details className="unused-rows" open={foldedTarget || undefined}>
          <summary>{t('config.foldedRows', { count: folded.length })}</summary>
          <div className="rows">{folded.map(rowOf)}</div>
        </details>
      )}
      <Presets
        presets={presets}
        fields={fields}
        view={view}
        onApplied={(v, next) => {
          setView(v);
          setNotice(t('presets.applied', { next }));
        }}
      />
      <TestPanel />
      <BouncePanel enabled={view.settings.bounceProcessing === true} />
    </div>
  );
}
