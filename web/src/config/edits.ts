// The unsaved edits of Configuration > Email, kept by the page rather than by each row, so that
// one Save per row and one "Save all changes" for the page save the same drafts the same way.
// A secret's draft lives here only while its row is open: it is never shown, and dropped once saved.
import { ApiError, errorText } from '../api';
import type { FieldInfo } from '../types';

export type Draft = string | boolean;

export type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'error'; message: string };

/** A stored value as its row edits it: text, or a box's state. */
export const toDraft = (v: unknown): Draft => (typeof v === 'boolean' ? v : v === undefined || v === null ? '' : String(v));

/** What goes to the API: whole numbers as numbers; a secret or a certificate as given; anything else as typed, trimmed, for the server to judge. */
export function toValue(field: FieldInfo, draft: Draft): unknown {
  if (field.kind === 'secret' || field.kind === 'pem') return draft;
  if (field.kind === 'int' && typeof draft === 'string' && /^-?\d+$/.test(draft.trim())) return Number(draft.trim());
  return typeof draft === 'string' && field.kind !== 'int' ? draft.trim() : draft;
}

/**
 * Whether a draft is a change to save: a secret once something is typed (its stored value is never
 * known here), a certificate when more than its surrounding blank lines differ, anything else when it
 * differs from the stored value.
 */
export function isChange(field: FieldInfo, draft: Draft | undefined, stored: unknown): boolean {
  if (draft === undefined || field.readOnly) return false;
  if (field.kind === 'secret') return draft !== '';
  if (field.kind === 'pem') return String(draft).trim() !== (typeof stored === 'string' ? stored : '').trim();
  return draft !== toDraft(stored);
}

/** The server's reason for one field, without the "settings refused…" preamble when it gave one. */
export function rowError(field: Pick<FieldInfo, 'key'>, err: unknown): string {
  return err instanceof ApiError ? (err.fieldMessage(field.key) ?? err.message) : errorText(err);
}

export interface SaveOutcome<V> {
  /** The settings after the last accepted PATCH, if any was accepted. */
  view: V | null;
  saved: string[];
  /** Refused keys, with the server's reason (or why the key was held back). */
  failed: Map<string, string>;
}

/**
 * Saves the drafts of `keys` with PATCH /settings/email, which takes several settings at once, all or
 * nothing. When the server refuses some of them (naming each field and why), the refused ones are set
 * aside and the others are sent again, so that one bad value does not hold the good ones back. A
 * secret whose destination was refused is held back too: it was typed for that new destination.
 * A refusal that names no field of the batch fails the whole batch with the server's message.
 */
export async function saveDrafts<V>(
  keys: string[],
  fields: FieldInfo[],
  payload: (key: string) => unknown,
  patch: (body: Record<string, unknown>) => Promise<V>,
  heldBack: (secret: string, because: string) => string,
): Promise<SaveOutcome<V>> {
  const failed = new Map<string, string>();
  let pending = [...keys];
  while (pending.length > 0) {
    try {
      const view = await patch(Object.fromEntries(pending.map((k) => [k, payload(k)])));
      return { view, saved: pending, failed };
    } catch (err) {
      const named = err instanceof ApiError ? err.fields.filter((f) => pending.includes(f.field)) : [];
      if (named.length === 0) {
        for (const k of pending) failed.set(k, rowError({ key: k }, err));
        return { view: null, saved: [], failed };
      }
      for (const f of named) failed.set(f.field, f.message);
      for (const f of named) {
        for (const secret of fields.find((x) => x.key === f.field)?.clearsSecrets ?? []) {
          if (pending.includes(secret) && !failed.has(secret)) failed.set(secret, heldBack(secret, f.field));
        }
      }
      pending = pending.filter((k) => !failed.has(k));
    }
  }
  return { view: null, saved: [], failed };
}
