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

// --- After the relay: what delivery reports said, and each recipient as the API shows it ----------

export const REPORT_ACTIONS = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'] as const;
export type ReportAction = (typeof REPORT_ACTIONS)[number];
export type BounceType = 'hard' | 'soft' | 'policy';

/** One recipient's facts from one delivery report (stored per recipient in emails.reports). */
export interface RecipientReport {
  recipient: string;
  action: ReportAction;
  /** failed only: hard (the address), soft (the recipient's side, for now), policy (a problem of ours). */
  type: BounceType | null;
  status: string | null;
  diagnostic: string | null;
  reportingMta: string | null;
  remoteMta: string | null;
  /** ms since the epoch. */
  reportedAt: number;
}

export interface BounceView {
  type: BounceType;
  status: string | null;
  diagnostic: string | null;
  reportingMta: string | null;
  remoteMta: string | null;
  reportedAt: string;
}

export interface DelayView {
  status: string | null;
  diagnostic: string | null;
  reportingMta: string | null;
  reportedAt: string;
}

/**
 * A recipient as the API shows it: what the relay answered (accepted, refused, deferred), or what
 * the e-mail's status implies while it has no answer (pending, failed, cancelled), and then what a
 * delivery report said: bounced, or a delay noted beside the state.
 */
export type RecipientViewState = RecipientState | 'pending' | 'failed' | 'cancelled' | 'bounced';

export interface RecipientView {
  recipient: string;
  state: RecipientViewState;
  code: number | null;
  reply: string;
  bounce?: BounceView;
  delayed?: DelayView;
}

export function parseReports(json: string | null): RecipientReport[] {
  return json ? (JSON.parse(json) as RecipientReport[]) : [];
}

/** The latest report per recipient; a failure is not undone by a delay notice that arrives after it. */
export function mergeReports(before: readonly RecipientReport[], added: readonly RecipientReport[]): RecipientReport[] {
  const byKey = new Map(before.map((r) => [r.recipient.toLowerCase(), r]));
  for (const r of added) {
    const key = r.recipient.toLowerCase();
    const old = byKey.get(key);
    if (old && old.action === 'failed' && r.action !== 'failed') continue;
    byKey.set(key, r);
  }
  return [...byKey.values()];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function bounceView(r: RecipientReport): BounceView {
  return { type: r.type ?? 'hard', status: r.status, diagnostic: r.diagnostic, reportingMta: r.reportingMta, remoteMta: r.remoteMta, reportedAt: iso(r.reportedAt) };
}

export function delayView(r: RecipientReport): DelayView {
  return { status: r.status, diagnostic: r.diagnostic, reportingMta: r.reportingMta, reportedAt: iso(r.reportedAt) };
}

export interface RecipientFacts {
  status: string;
  /** Every recipient of the e-mail (To, Cc, Bcc), each once. */
  addresses: readonly string[];
  recipients: string | null;
  reports: string | null;
  lastReplyCode: number | null;
  lastReply: string | null;
}

/** Every recipient of an e-mail with its state: the relay's answer, the status's implication, the reports. */
export function recipientViews(e: RecipientFacts): RecipientView[] {
  const answered = new Map(parseRecipients(e.recipients).map((r) => [r.recipient.toLowerCase(), r]));
  const reported = new Map(parseReports(e.reports).map((r) => [r.recipient.toLowerCase(), r]));
  return e.addresses.map((recipient) => {
    const key = recipient.toLowerCase();
    const a = answered.get(key);
    const base: RecipientView = a
      ? { recipient, state: a.state, code: a.code, reply: a.reply }
      : { recipient, state: impliedState(e.status), code: e.lastReplyCode, reply: e.lastReply ?? '' };
    const r = reported.get(key);
    if (r?.action === 'failed') return { ...base, state: 'bounced', bounce: bounceView(r) };
    if (r?.action === 'delayed') return { ...base, delayed: delayView(r) };
    return base;
  });
}

/** A recipient without an answer of its own takes the e-mail's. */
function impliedState(status: string): RecipientViewState {
  switch (status) {
    case 'sent':
    case 'bounced':
      return 'accepted';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'pending';
  }
}

/** "1 of 2 bounced: 550 5.1.1 …", when some (not necessarily all) recipients bounced. */
export function bouncedSummary(views: readonly RecipientView[]): string | null {
  const bounced = views.filter((v) => v.state === 'bounced');
  const first = bounced[0]?.bounce;
  if (!first) return null;
  const why = first.diagnostic ?? first.status ?? first.type;
  return `${bounced.length} of ${views.length} bounced: ${why}`;
}
