// How the CLI prints things for a person: aligned key/value lists and one line per e-mail, every
// line through visible() so that text stored in the queue is shown, never obeyed by the terminal.
import type { EmailDetail, EmailSummary } from '../queue/index.js';
import type { Address } from '../queue/index.js';
import { FIELDS, type Problem, type SettingsView } from '../settings/index.js';
import type { CampaignOutcome, InstanceStatus, WaitingReason } from '../dispatcher/index.js';
import { terminalLanguage } from '../i18n/index.js';
import { translateMessage } from '../settings/index.js';
import { CLI, statusWord, word, worded } from './words.js';

/** A settings message (a problem, a warning) in the terminal's language. */
const setting = (message: string) => translateMessage(message, terminalLanguage());

/**
 * Text for a terminal: control characters (C0 but line feed and tab, DEL, C1) shown as \\uXXXX,
 * so that a subject, a name or a receiver's reply stored in the queue cannot drive the
 * administrator's terminal (escape sequences that retitle, hide text or fake a prompt).
 */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Every line the commands print goes through here: stored text is shown, never obeyed (see visible). */
export const say = (text: string): void => console.log(visible(text));

const addr = (a: Address) => (a.name ? `${a.name} <${a.email}>` : a.email);

export function formatSettings(view: SettingsView): string {
  const keys = Object.keys(view.settings) as (keyof typeof FIELDS)[];
  const width = Math.max(...keys.map((k) => k.length));
  const lines = keys.map((k) => {
    const v = view.settings[k] as unknown;
    let shown: string;
    if (FIELDS[k].kind === 'secret') {
      const s = v as { set: boolean; updatedAt: string | null };
      shown = s.set ? word(CLI.setOn, { at: s.updatedAt ?? '' }) : word(CLI.notSet);
    } else if (FIELDS[k].kind === 'pem' && v !== '') {
      // The PEM itself is many lines: show what it is (postroom settings get --json has it whole).
      shown = (view.certificates[k] ?? []).map((c) => word(CLI.certificate, { subject: c.subject, issuer: c.issuer, at: c.expiresAt })).join('; ');
    } else {
      shown = v === '' ? word(CLI.empty) : String(v);
    }
    return `${k.padEnd(width)}  ${shown}`;
  });
  for (const w of view.warnings) lines.push(word(CLI.warning, { key: w.key, message: setting(w.message) }));
  if (view.problems.length) {
    lines.push('', word(CLI.incomplete));
    for (const p of view.problems) lines.push(`  - ${p.key}: ${setting(p.message)}`);
  } else {
    lines.push('', word(CLI.complete));
  }
  return lines.join('\n');
}

export function formatEmailLine(e: EmailSummary): string {
  const to = [...e.to, ...e.cc, ...e.bcc].map(addr);
  const recipients = to.length > 2 ? `${to.slice(0, 2).join(', ')} +${to.length - 2}` : to.join(', ');
  return [String(e.id).padStart(6), e.status.padEnd(9), e.createdAt, recipients, JSON.stringify(e.subject), e.lastReply ? `[${worded(e.lastReply)}]` : '']
    .join('  ')
    .trimEnd();
}

export function formatEmailDetail(e: EmailDetail & { waitingReason?: WaitingReason | null }): string {
  // Labels in one column, as wide as the longest in the terminal's language.
  const labels = { created: word(CLI.created), sender: word(CLI.sender), to: word(CLI.to), subject: word(CLI.subject), attachment: word(CLI.attachment), nextTry: word(CLI.nextTry), waiting: word(CLI.waiting), firstFailed: word(CLI.firstFailed), recipient: word(CLI.recipient), report: word(CLI.report), attempts: word(CLI.attempts) };
  const width = Math.max(12, ...Object.values(labels).map((l) => l.length));
  const row = (label: string, value: string) => `  ${label.padEnd(width)} ${value}`;
  const lines = [word(CLI.email, { id: e.id, status: statusWord(e.status) }), row('message-id', e.messageId), row(labels.created, word(CLI.by, { at: e.createdAt, source: e.source })), row(labels.sender, e.sender ? addr(e.sender) : word(CLI.postmaster)), row(labels.to, e.to.map(addr).join(', ') || '-')];
  if (e.cc.length) lines.push(row('cc', e.cc.map(addr).join(', ')));
  if (e.bcc.length) lines.push(row('bcc', e.bcc.map(addr).join(', ')));
  lines.push(row(labels.subject, e.subject));
  for (const f of e.attachments) lines.push(row(labels.attachment, word(CLI.bytes, { name: f.filename, type: f.contentType, size: f.size })));
  // A time already past is no "next try": the waiting line says what it waits for.
  if (e.nextAttemptAt && Date.parse(e.nextAttemptAt) > Date.now()) lines.push(row(labels.nextTry, e.nextAttemptAt));
  if (e.waitingReason) lines.push(row(labels.waiting, worded(e.waitingReason.message)));
  if (e.firstFailureAt) lines.push(row(labels.firstFailed, e.firstFailureAt));
  for (const r of e.recipients) {
    const fate = r.bounce
      ? `${word(CLI.bounced, { type: r.bounce.type })} ${r.bounce.status ?? ''} ${r.bounce.diagnostic ?? ''}`
      : `${r.state}${r.state === 'refused' || r.state === 'deferred' ? `: ${worded(r.reply ?? '')}` : ''}`;
    const delayed = r.delayed ? ` ${word(CLI.delayed, { status: r.delayed.status ?? '', at: r.delayed.reportedAt })}` : '';
    lines.push(row(labels.recipient, `${r.recipient}  ${fate.replace(/\s+/g, ' ').trim()}${delayed}`));
  }
  for (const r of e.reports) lines.push(row(labels.report, word(CLI.reportLine, { at: r.receivedAt, reporter: r.reporter || '-', how: r.matchedBy, subject: r.subject })));
  lines.push(row(labels.attempts, String(e.attemptLog.length)));
  for (const a of e.attemptLog) {
    lines.push(`    ${a.startedAt}  ${a.route.padEnd(5)} ${a.outcome.padEnd(11)} ${worded(a.reply ?? '')}`);
  }
  return lines.join('\n');
}

export function describeOutcome(o: CampaignOutcome): string {
  switch (o.state) {
    case 'disabled':
      return word(CLI.disabled);
    case 'incomplete':
      return word(CLI.outcomeIncomplete, { problems: o.problems.map((p) => setting(p.message)).join('; ') });
    case 'route-failing':
      return word(CLI.routeFailing, { why: o.message });
    case 'error':
      return word(CLI.campaignFailed, { message: o.message });
    case 'ran': {
      const ran = word(CLI.ran, { claimed: o.claimed, sent: o.sent, retrying: o.retrying, failed: o.failed });
      return o.routeFailure ? `${ran}${word(CLI.stoppedBy, { why: o.routeFailure })}` : ran;
    }
  }
}

export function formatStatus(s: { counts: Record<string, number>; problems: Problem[]; instances: InstanceStatus[] }): string {
  const lines = [word(CLI.emails, { counts: Object.entries(s.counts).map(([k, v]) => `${statusWord(k)} ${v}`).join(', ') })];
  for (const p of s.problems) lines.push(word(CLI.problem, { key: p.key, message: setting(p.message) }));
  const alive = s.instances.filter((i) => i.alive);
  if (alive.length === 0) lines.push(word(CLI.noProcess));
  for (const i of alive) {
    lines.push(word(CLI.alive, { id: i.id, at: i.heartbeatAt }));
    if (i.lastCampaign) lines.push(word(CLI.lastCampaign, { at: i.lastCampaign.startedAt, outcome: describeOutcome(i.lastCampaign.outcome) }));
  }
  return lines.join('\n');
}
