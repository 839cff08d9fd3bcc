// "Save all changes (N)": at the foot of the window while two or more settings are edited and not
// saved, it saves them in one go, says which the server refused and why (those stay edited, their
// reasons under their fields too), and can drop every edit instead.
import { useTranslation } from 'react-i18next';

export interface SaveAllResult {
  saved: number;
  failed: { key: string; label: string; message: string }[];
}

export function SaveAllBar({ count, saving, result, onSaveAll, onDiscard }: { count: number; saving: boolean; result: SaveAllResult | null; onSaveAll: () => void; onDiscard: () => void }) {
  const { t } = useTranslation();
  return (
    <section className="save-all" role="region" aria-label={t('saveAll.region')}>
      <div className="save-all-line">
        <p className="save-all-count">{t('saveAll.pending', { count })}</p>
        <button type="button" className="primary" onClick={onSaveAll} disabled={saving}>
          {saving ? t('save.saving') : t('saveAll.save', { count })}
        </button>
        <button type="button" onClick={onDiscard} disabled={saving}>
          {t('saveAll.discard')}
        </button>
      </div>
      {result && result.failed.length > 0 && (
        <div className="save-all-result" role="alert">
          <p>
            {result.saved > 0 && `${t('saveAll.savedToo', { count: result.saved })} `}
            {t('saveAll.notSaved', { count: result.failed.length })}
          </p>
          <ul>
            {result.failed.map((f) => (
              <li key={f.key}>
                <a href={`#field-${f.key}`}>{f.label}</a>
                {t('common.colon')}
                {f.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
