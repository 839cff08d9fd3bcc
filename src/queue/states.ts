// The e-mail's state machine in one table: each verb, the statuses it may leave and the one it
// reaches. The SQL of every verb (lifecycle.ts) reads its guard from here, nowhere else.
import type { EmailStatus } from '../db/index.js';

export interface Transition {
  from: readonly EmailStatus[];
  /** `pending-or-error`: back to pending, or to error when it has failed before (a release). */
  to: EmailStatus | 'pending-or-error';
  /** What the verb means, for the reader and for refusals. */
  meaning: string;
}

export const TRANSITIONS = {
  // `sending` only once its lease has expired: its process died (the claim checks due_at).
  claim: { from: ['pending', 'error', 'sending'], to: 'sending', meaning: 'taken by a sending process under a lease' },
  markSent: { from: ['sending'], to: 'sent', meaning: 'every recipient accepted or refused for good' },
  defer: { from: ['sending'], to: 'error', meaning: 'a transient failure, or recipients deferred: tried again later' },
  fail: { from: ['sending'], to: 'failed', meaning: 'a permanent failure, or the retry window closed' },
  release: { from: ['sending'], to: 'pending-or-error', meaning: 'given back untouched (stop, route failure)' },
  hold: { from: ['pending'], to: 'held', meaning: 'pending at start-up with skipPendingAtStartup' },
  releaseHeld: { from: ['held'], to: 'pending', meaning: 'released by an administrator' },
  cancel: { from: ['pending', 'error', 'held'], to: 'cancelled', meaning: 'cancelled by an administrator' },
  retry: { from: ['failed', 'error', 'cancelled', 'bounced'], to: 'pending', meaning: 'sent again with a fresh retry window' },
  expire: { from: ['error'], to: 'failed', meaning: 'the retry window closed while it waited' },
  // A delivery report read from the postmaster's mailbox: no recipient got it after all.
  bounce: { from: ['sent'], to: 'bounced', meaning: 'every recipient the relay accepted bounced later (or was refused)' },
} as const satisfies Record<string, Transition>;

export type Verb = keyof typeof TRANSITIONS;

/** The status of an e-mail a sending process holds under its lease: what a claim reaches. */
export const LEASED = TRANSITIONS.claim.to;

/**
 * A verb's guard for a statement written as text (outcome-statements.ts): `status = 'sending'`, or
 * `status in (…)` for several. The statuses are this table's own words, never input.
 */
export function guardSql(verb: Verb, column = 'status'): string {
  const from: readonly EmailStatus[] = TRANSITIONS[verb].from;
  return from.length === 1 ? `${column} = '${from[0]}'` : `${column} in (${from.map((s) => `'${s}'`).join(', ')})`;
}

/** Statuses an e-mail no longer leaves by itself; the purge deletes only these. */
export const FINISHED: readonly EmailStatus[] = ['sent', 'failed', 'cancelled', 'bounced'];

export function refusal(verb: Verb, id: number, status: EmailStatus): string {
  const allowed = TRANSITIONS[verb].from;
  return `e-mail ${id} is ${status}: only ${allowed.join(', ')} e-mails can be ${PAST[verb]}`;
}

const PAST: Record<Verb, string> = {
  claim: 'claimed',
  markSent: 'marked sent',
  defer: 'deferred',
  fail: 'failed',
  release: 'released',
  hold: 'held',
  releaseHeld: 'released',
  cancel: 'cancelled',
  retry: 'retried',
  expire: 'expired',
  bounce: 'marked bounced',
};
