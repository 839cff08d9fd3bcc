// E-mails sent and failed per hour over the last 24 hours, as an SVG bar chart with the same
// figures in a table for screen readers.
import type { HourTally } from '../types';

const W = 720;
const H = 160;
const PAD = { left: 36, bottom: 22, top: 8 };

export function HourlyChart({ hours }: { hours: HourTally[] }) {
  const max = Math.max(1, ...hours.map((h) => h.sent + h.failed));
  const slot = (W - PAD.left) / Math.max(1, hours.length);
  const y = (n: number) => ((H - PAD.bottom - PAD.top) * n) / max;
  const totalSent = hours.reduce((s, h) => s + h.sent, 0);
  const totalFailed = hours.reduce((s, h) => s + h.failed, 0);
  const label = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  return (
    <figure className="chart">
      <figcaption>
        Last 24 hours: <span className="sent-key">{totalSent} sent</span>, <span className="failed-key">{totalFailed} failed</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`E-mails per hour over the last 24 hours: ${totalSent} sent, ${totalFailed} failed`}>
        <line x1={PAD.left} x2={W} y1={H - PAD.bottom} y2={H - PAD.bottom} className="axis" />
        <text x={PAD.left - 6} y={PAD.top + 8} className="tick" textAnchor="end">
          {max}
        </text>
        <text x={PAD.left - 6} y={H - PAD.bottom} className="tick" textAnchor="end">
          0
        </text>
        {hours.map((h, i) => {
          const x = PAD.left + i * slot + slot * 0.15;
          const w = slot * 0.7;
          const sentH = y(h.sent);
          const failedH = y(h.failed);
          const base = H - PAD.bottom;
          return (
            <g key={h.hour}>
              <title>{`${label(h.hour)}: ${h.sent} sent, ${h.failed} failed`}</title>
              <rect className="bar-sent" x={x} width={w} y={base - sentH} height={sentH} />
              <rect className="bar-failed" x={x} width={w} y={base - sentH - failedH} height={failedH} />
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
        <caption>E-mails per hour</caption>
        <thead>
          <tr>
            <th scope="col">Hour</th>
            <th scope="col">Sent</th>
            <th scope="col">Failed</th>
          </tr>
        </thead>
        <tbody>
          {hours.map((h) => (
            <tr key={h.hour}>
              <td>{label(h.hour)}</td>
              <td>{h.sent}</td>
              <td>{h.failed}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
