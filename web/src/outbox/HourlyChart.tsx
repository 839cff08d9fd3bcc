// E-mails sent, bounced and failed per hour over the last 24 hours (by the hour they finished), as
// an SVG bar chart with the same figures in a table for screen readers.
import { useTranslation } from 'react-i18next';
import { hourText, numberText } from '../i18n';
import type { HourTally } from '../types';

const W = 720;
const H = 160;
const PAD = { left: 36, bottom: 22, top: 8 };

export function HourlyChart({ hours }: { hours: HourTally[] }) {
  const { t } = useTranslation();
  const max = Math.max(1, ...hours.map((h) => h.sent + h.bounced + h.failed));
  const slot = (W - PAD.left) / Math.max(1, hours.length);
  const y = (n: number) => ((H - PAD.bottom - PAD.top) * n) / max;
  const totalSent = hours.reduce((s, h) => s + h.sent, 0);
  const totalFailed = hours.reduce((s, h) => s + h.failed, 0);
  const totalBounced = hours.reduce((s, h) => s + h.bounced, 0);
  const label = hourText;
  const sent = (n: number) => t('chart.sent', { count: n, n: numberText(n) });
  const failed = (n: number) => t('chart.failed', { count: n, n: numberText(n) });
  const bounced = (n: number) => t('chart.bounced', { count: n, n: numberText(n) });

  return (
    <figure className="chart">
      <figcaption>
        {t('chart.last24')} <span className="sent-key">{sent(totalSent)}</span>, <span className="bounced-key">{bounced(totalBounced)}</span>,{' '}
        <span className="failed-key">{failed(totalFailed)}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('chart.aria', { sent: sent(totalSent), bounced: bounced(totalBounced), failed: failed(totalFailed) })}>
        <line x1={PAD.left} x2={W} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
        <text x={PAD.left - 6} y={PAD.top + 8} className="tick" textAnchor="end">
          {numberText(max)}
        </text>
        <text x={PAD.left - 6} y={H - PAD.bottom} className="tick" textAnchor="end">
          0
        </text>
        {hours.map((h, i) => {
          const x = PAD.left + i * slot + slot * 0.15;
          const w = slot * 0.7;
          const sentH = y(h.sent);
          const bouncedH = y(h.bounced);
          const failedH = y(h.failed);
          const base = H - PAD.bottom;
          return (
            <g key={h.hour}>
              <title>{`${label(h.hour)}: ${sent(h.sent)}, ${bounced(h.bounced)}, ${failed(h.failed)}`}</title>
              <rect className="bar-sent" x={x} width={w} y={base - sentH} height={sentH} />
              <rect className="bar-bounced" x={x} width={w} y={base - sentH - bouncedH} height={bouncedH} />
              <rect className="bar-failed" x={x} width={w} y={base - sentH - bouncedH - failedH} height={failedH} />
              {i % 4 === 0 && (
                <text x={x + w / 2} y={H - 6} className="tick" textAnchor="middle">
                  {label(h.hour)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <table className="visually-hidden">
        <caption>{t('chart.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('chart.hour')}</th>
            <th scope="col">{t('chart.sentColumn')}</th>
            <th scope="col">{t('chart.bouncedColumn')}</th>
            <th scope="col">{t('chart.failedColumn')}</th>
          </tr>
        </thead>
        <tbody>
          {hours.map((h) => (
            <tr key={h.hour}>
              <td>{label(h.hour)}</td>
              <td>{h.sent}</td>
              <td>{h.bounced}</td>
              <td>{h.failed}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
