// Per-recipient outcomes: each recipient of an e-mail is accepted, refused for good (5xx) or
// deferred (4xx). Only deferred ones are owed another try, each recipient getting one copy.
export type RecipientState = 'accepted' | 'refused' | 'deferred';

export interface RecipientOutcome {
  recipient: string;
  state: RecipientState;
  code: number | null;
  reply: string;
}

interface Answer {
  recipient: string;
  code: number | null;
  reply: string;
}

/** What one attempt learnt, merged over what earlier attempts learnt (a later answer wins). */
export function mergeRecipients(
  before: readonly RecipientOutcome[],
  attempt: { accepted: readonly string[]; rejected: readonly Answer[]; deferred: readonly Answer[]; reply: string; replyCode: number | null },
): RecipientOutcome[] {
  const byKey = new Map(before.map((r) => [r.recipient.toLowerCase(), r]));
  for (const recipient of attempt.accepted) byKey.set(recipient.toLowerCase(), { recipient, state: 'accepted', code: attempt.replyCode, reply: attempt.reply });
  for (const r of attempt.rejected) byKey.set(r.recipient.toLowerCase(), { recipient: r.recipient, state: 'refused', code: r.code, reply: r.reply });
  for (const r of attempt.deferred) byKey.set(r.recipient.toLowerCase(), { recipient: r.recipient, state: 'deferred', code: r.code, reply: r.reply });
  return [...byKey.values()];
}

/** Recipients that need nothing more: accepted, or refused for good. */
export function settledRecipients(states: readonly RecipientOutcome[]): string[] {
  return states.filter((r) => r.state !== 'deferred').map((r) => r.recipient);
}

export function parseRecipients(json: string | null): RecipientOutcome[] {
  return json ? (JSON.parse(json) as RecipientOutcome[]) : [];
}

/** "2 of 3 delivered, 1 deferred: 452 4.2.2 mailbox full" */
export function deferredSummary(states: readonly RecipientOutcome[]): string | null {
  const deferred = states.filter((r) => r.state === 'deferred');
  if (deferred.length === 0) return null;
  const accepted = states.filter((r) => r.state === 'accepted').length;
  const first = deferred[0] as RecipientOutcome;
  return `${accepted} of ${states.length} delivered, ${deferred.length} deferred: ${first.reply}`;
}
