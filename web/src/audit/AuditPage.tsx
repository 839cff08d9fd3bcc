// Who changed which setting when. A secret's value is never kept: the log says it changed.
import { useEffect, useState } from 'react';
import { call, errorText } from '../api';
import type { AuditEntry } from '../types';

const shown = (v: unknown) => (v === null || v === undefined || v === '' ? '(empty)' : typeof v === 'string' ? v : JSON.stringify(v));

export function AuditPage() {
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    call<AuditEntry[]>('GET', '/audit?limit=500').then(setEntries, (e: unknown) => setError(errorText(e)));
  }, []);
  return (
    <div className="audit">
      <h1>Audit</h1>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Setting</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {entries?.map((e) => (
              <tr key={e.id}>
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>{e.actor}</td>
                <td>{e.key}</td>
                <td>{e.secret ? '(secret)' : shown(e.oldValue)}</td>
                <td>{e.secret ? 'changed (value not kept)' : shown(e.newValue)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {entries && entries.length === 0 && <p>No change yet.</p>}
      </div>
    </div>
  );
}
