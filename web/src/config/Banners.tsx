// What stops sending (problems) and what needs attention soon (warnings), at the top of the
// screen. The problems banner says plainly that e-mails are kept while it shows.
import type { FieldInfo, Problem } from '../types';

const labelOf = (fields: FieldInfo[], key: string) => fields.find((f) => f.key === key)?.label ?? key;

export function ProblemsBanner({ problems, warnings, fields, enabled }: { problems: Problem[]; warnings: Problem[]; fields: FieldInfo[]; enabled: boolean }) {
  return (
    <>
      {problems.length > 0 && (
        <section className="banner problems" role="alert" aria-labelledby="problems-title">
          <h2 id="problems-title">The configuration is incomplete: nothing is sent</h2>
          <p>E-mails handed over are kept, not lost; they are sent once these are fixed.</p>
          <ul>
            {problems.map((p) => (
              <li key={p.key + p.message}>
                <a href={`#field-${p.key}`}>{labelOf(fields, p.key)}</a>: {p.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {problems.length === 0 && !enabled && (
        <section className="banner paused" role="status">
          <p>Sending is switched off (“{labelOf(fields, 'enabled')}” is unchecked). E-mails are accepted and kept until it is checked.</p>
        </section>
      )}
      {warnings.length > 0 && (
        <section className="banner warnings" role="status" aria-label="Warnings">
          <ul>
            {warnings.map((w) => (
              <li key={w.key + w.message}>
                <a href={`#field-${w.key}`}>{labelOf(fields, w.key)}</a>: {w.message}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
