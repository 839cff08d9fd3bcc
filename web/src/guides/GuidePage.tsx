// A setup guide: numbered steps, each linked to the settings it fills on Configuration > Email.
import { Link } from '../router';
import { GUIDES } from './content';

export function GuidePage({ name }: { name: string }) {
  const guide = GUIDES.find((g) => g.name === name);
  return (
    <div className="guide">
      <nav aria-label="Setup guides" className="tabs">
        {GUIDES.map((g) => (
          <Link key={g.name} href={`/guides/${g.name}`} aria-current={g.name === name ? 'page' : undefined}>
            {g.title}
          </Link>
        ))}
      </nav>
      {!guide ? (
        <p>There is no guide “{name}”.</p>
      ) : (
        <article>
          <h1>{guide.title}</h1>
          <p>{guide.intro}</p>
          <ol className="steps">
            {guide.steps.map((s, i) => (
              <li key={i}>
                <p>{s.text}</p>
                {s.code && (
                  <pre>
                    <code>{s.code}</code>
                  </pre>
                )}
                {s.fills && (
                  <p className="fills">
                    Fills:{' '}
                    {s.fills.map((key, j) => (
                      <span key={key}>
                        {j > 0 && ', '}
                        <Link href={`/config/email#field-${key}`}>{key}</Link>
                      </span>
                    ))}
                  </p>
                )}
              </li>
            ))}
          </ol>
        </article>
      )}
    </div>
  );
}
