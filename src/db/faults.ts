// Which database errors are the storage failing (full, unreachable, locked, dropped) rather than a
// refused row or a bug: those are waited out and retried, reported as such, never as "internal".
export type StorageFaultKind = 'full' | 'unavailable';

export interface StorageFault {
  kind: StorageFaultKind;
  /** The database's own words: "database or disk is full", "terminating connection …". */
  message: string;
}

const codeOf = (err: unknown): string => String((err as { code?: unknown } | null)?.code ?? '');
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** PostgreSQL SQLSTATE classes and codes of a server that cannot serve: connection, resources, shutdown, a read-only standby after a failover. */
const PG_UNAVAILABLE = /^(08\d{3}|57P0[1-4]|53[0-9A-Z]{3}|58\d{3}|25006)$/;
const NODE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/** node-postgres says these without a code. */
const PG_DROPPED = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable|Connection ended unexpectedly/i;

export function storageFault(err: unknown): StorageFault | null {
  const code = codeOf(err);
  const message = messageOf(err);
  if (code === 'SQLITE_FULL' || code === '53100' || /database or disk is full|No space left on device|could not extend file/i.test(message)) {
    return { kind: 'full', message };
  }
  if (code.startsWith('SQLITE_')) {
    // Locked, busy, an I/O error, a read-only or vanished file: the storage, not the statement.
    return /^SQLITE_(BUSY|LOCKED|IOERR|READONLY|CANTOPEN|PROTOCOL|NOMEM)/.test(code) ? { kind: 'unavailable', message } : null;
  }
  if (PG_UNAVAILABLE.test(code) || NODE_NETWORK.has(code) || PG_DROPPED.test(message)) return { kind: 'unavailable', message };
  return null;
}
