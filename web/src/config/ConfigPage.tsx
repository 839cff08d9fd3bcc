// Configuration > Email: one row per setting, grouped for a person filling a route (the route's own
// settings, then the sending process's, then the rest), the problems banner, presets, the connection
// tests and bounce processing. Each row saves on its own; with two or more rows edited, a bar at the
// foot of the window saves them all at once (or drops them).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, errorText } from '../api';
import type { FieldInfo, Preset, SettingsView } from '../types';
import { ProblemsBanner } from './Banners';
import { fieldLabel } from './fieldText';
import { FieldRow } from './FieldRow';
import { Presets } from './Presets';
import { activeRoutes, groupFields, ROUTE_NAMES, unusedBecause } from './routes';
import { isChange, saveDrafts, toValue, type Draft, type SaveState } from './edits';
import { SaveAllBar, type SaveAllResult } from './SaveAllBar';
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
  const [edits, setEdits] = useState<Record<string, Draft>>({});
  const [states, setStates] = useState<Record<string, SaveState>>({});
  const [saveAllResult, setSaveAllResult] = useState<SaveAllResult | null>(null);

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
  const fieldOf = (key: string) => fields.find((f) => f.key === key);
  const labelOf = (key: string) => fieldLabel(fieldOf(key) ?? { key, label: key });
  // A save that cleared a secret says so where the administrator looks.
  const onSaved = (v: SettingsView) => {
    setView(v);
    if (v.cleared?.length) setNotice(v.cleared.map((c) => c.message).join(' '));
  };
  const setState = (keys: string[], state: SaveState) => setStates((s) => ({ ...s, ...Object.fromEntries(keys.map((k) => [k, state])) }));
  const edit = (key: string, draft: Draft | undefined) => {
    setEdits((e) => {
      const rest = Object.fromEntries(Object.entries(e).filter(([k]) => k !== key));
      return draft === undefined ? rest : { ...rest, [key]: draft };
    });
    setState([key], { kind: 'idle' });
    setSaveAllResult(null);
  };
  // The edited rows, in the page's order, that hold a change to save.
  const changedKeys = fields.filter((f) => isChange(f, edits[f.key], view.settings[f.key])).map((f) => f.key);

  /** Saves these rows' drafts (one PATCH; the refused ones set aside and the rest sent again). */
  const save = async (keys: string[], values: Record<string, unknown> = {}) => {
    setState(keys, { kind: 'saving' });
    const sent = edits;
    const outcome = await saveDrafts(
      keys,
      fields,
      (k) => (k in values ? values[k] : toValue(fieldOf(k) ?? ({ key: k, kind: 'string' } as FieldInfo), edits[k] ?? '')),
      (body) => call<SettingsView>('PATCH', '/settings/email', body),
      (_secret, because) => t('saveAll.heldBack', { label: labelOf(because) }),
    );
    if (outcome.view) onSaved(outcome.view);
    // Saved drafts are dropped (a secret with them) unless typed on meanwhile; refused ones stay as typed, with the reason.
    setEdits((e) => Object.fromEntries(Object.entries(e).filter(([k, v]) => !outcome.saved.includes(k) || v !== sent[k])));
    setState(outcome.saved, { kind: 'saved' });
    for (const [k, message] of outcome.failed) setState([k], { kind: 'error', message });
    return outcome;
  };
  const saveAll = async () => {
    setSaveAllResult(null);
    const outcome = await save(changedKeys);
    if (outcome.failed.size === 0) setNotice([t('saveAll.allSaved', { count: outcome.saved.length }), ...(outcome.view?.cleared ?? []).map((c) => c.message)].join(' '));
    setSaveAllResult({ saved: outcome.saved.length, failed: [...outcome.failed].map(([key, message]) => ({ key, label: labelOf(key), message })) });
  };
  const discardAll = () => {
    setEdits({});
    setStates({});
    setSaveAllResult(null);
  };
  const rowProps = (f: FieldInfo) => ({
    key: f.key,
    field: f,
    stored: view.settings[f.key],
    dimmedBecause: unusedBecause(f, active),
    edit: edits[f.key],
    state: states[f.key] ?? { kind: 'idle' as const },
    onEdit: (draft: Draft | undefined) => edit(f.key, draft),
    onSave: () => void save([f.key]),
  });
  const sending = [...active].filter((r) => r !== 'drafts').map((r) => t(ROUTE_NAMES[r]));
  const rowOf = (f: FieldInfo) => {
    const { key, ...props } = rowProps(f);
    if (f.kind === 'pem') return <CertificateRow key={key} {...props} certificates={view.certificates?.[f.key] ?? []} />;
    if (f.kind === 'secret') return <SecretRow key={key} {...props} onClear={() => void save([f.key], { [f.key]: '' })} />;
    const storedSecrets = (f.clearsSecrets ?? []).filter((k) => {
      const secret = view.settings[k];
      return typeof secret === 'object' && secret !== null && secret.set;
    });
    const clears = storedSecrets.map((k) => fieldLabel(fields.find((x) => x.key === k) ?? { key: k, label: k })).join(', ') || null;
    return <FieldRow key={key} {...props} clears={clears} />;
  };
  // Only a provider's own rows fold; the SMTP rows stay in view, dimmed, when Graph is the route.
  const providerOnly = (f: FieldInfo) => f.routes.every((r) => r === 'oauth' || r === 'graph' || r === 'drafts') || f.routes.every((r) => r === 'google');
  const folded = fields.filter((f) => providerOnly(f) && unusedBecause(f, active) !== null);
  // The route's own settings first, then the sending process's, then the rest (less the folded ones).
  const groups = groupFields(
    fields.filter((f) => !folded.includes(f)),
    view.routes,
  );
  const groupTitle = (g: (typeof groups)[number]) =>
    g.route ? t(g.route === 'drafts' ? 'config.groupDrafts' : 'config.groupRoute', { route: t(ROUTE_NAMES[g.route]) }) : t(`config.group.${g.id}`);
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
      {groups.map((g) => (
        <section key={g.id} className={`group group-${g.id}`} aria-labelledby={`group-${g.id}`}>
          <h2 id={`group-${g.id}`}>{groupTitle(g)}</h2>
          <div className="rows">{g.fields.map(rowOf)}</div>
        </section>
      ))}
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
          // A setting the preset changed shows its new value: a draft of it is dropped.
          const moved = new Set(fields.filter((f) => JSON.stringify(v.settings[f.key]) !== JSON.stringify(view.settings[f.key])).map((f) => f.key));
          setEdits((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !moved.has(k))));
          setView(v);
          setNotice(t('presets.applied', { next }));
        }}
      />
      <TestPanel />
      <BouncePanel enabled={view.settings.bounceProcessing === true} />
      {(changedKeys.length >= 2 || (changedKeys.length > 0 && (saveAllResult?.failed.length ?? 0) > 0)) && (
        <SaveAllBar
          count={changedKeys.length}
          saving={changedKeys.some((k) => states[k]?.kind === 'saving')}
          result={saveAllResult}
          onSaveAll={() => void saveAll()}
          onDiscard={discardAll}
        />
      )}
    </div>
  );
}
