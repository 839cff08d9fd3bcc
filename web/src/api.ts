// Every call the console makes to Postroom's API: JSON, the CSRF header, typed errors, and a
// pause-and-retry when the session has expired so that nothing the user typed is lost.
import i18next, { currentLanguage } from './i18n';

export interface FieldProblem {
  field: string;
  message: string;
}

/** A refusal from the API, with the field-level reasons when the server gave them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
  }

  /** The server's reason for one field, without the "settings refused…" preamble. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }
}

/** Asked when a call meets 401: resolves once the user has signed in again. */
let reauthenticate: (() => Promise<void>) | null = null;

export function onSessionExpired(handler: (() => Promise<void>) | null): void {
  reauthenticate = handler;
}

/** Over HTTPS the server names it __Host-csrf (a name only this host can set), else csrf. */
function csrfToken(): string {
  const cookies = document.cookie.split('; ');
  const match = cookies.find((c) => c.startsWith('__Host-csrf=')) ?? cookies.find((c) => c.startsWith('csrf='));
  return match ? decodeURIComponent(match.slice(match.indexOf('=') + 1)) : '';
}

interface ErrorBody {
  error?: string;
  message?: string;
  fields?: FieldProblem[];
}

export async function call<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  for (;;) {
    // The server words its refusals and problems in the console's language.
    const headers: Record<string, string> = { accept: 'application/json', 'accept-language': currentLanguage() };
    if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401 && !path.startsWith('/auth/') && reauthenticate) {
      await reauthenticate();
      continue;
    }
    const data: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const e = (data ?? {}) as ErrorBody;
      throw new ApiError(res.status, e.error ?? 'error', e.message ?? i18next.t('common.serverAnswered', { status: res.status }), e.fields ?? []);
    }
    // What shows the sending state (the banner on every page) reads it again at once after a change.
    if (method !== 'GET' && (path.startsWith('/settings') || path.startsWith('/emails'))) window.dispatchEvent(new Event(CHANGED_EVENT));
    return data as T;
  }
}

/** Fired after the console changed the settings or the outbox. */
export const CHANGED_EVENT = 'postroom:changed';

export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
