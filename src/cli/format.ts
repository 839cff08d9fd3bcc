// How the CLI prints things for a person: aligned key/value lists and one line per e-mail, every
// line through visible() so that text stored in the queue is shown, never obeyed by the terminal.
import type { EmailDetail, EmailSummary } from '../queue/index.js';
import type { Address } from '../queue/index.js';
import { FIELDS, type Problem, type SettingsView } from '../settings/index.js';
import type { CampaignOutcome, InstanceStatus, WaitingReason } from '../dispatcher/index.js';

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
      shown = s.set ? `(set on ${s.updatedAt})` : '(not set)';
    } else if (FIELDS[k].kind === 'pem' && v !== '') {
      // The PEM itself is many lines: show what it is (postroom settings get --json has it whole).
      shown = (view.certificates[k] ?? []).map((c) => `${c.subject} (issued by ${c.issuer}, expires ${c.expiresAt})`).join('; ');
    } else {
      shown = v === '' ? '(empty)' : String(v);
    }
    return `${k.padEnd(width)}  ${shown}`;
  });
  for (const w of view.warnings) lines.push(`warning: ${w.key}: ${w.message}`);
  if (view.problems.length) {
    lines.push('', 'Configuration incomplete: nothing is sent until this is fixed (e-mails wait, none is lost):');
    for (const p of view.problems) lines.push(`  - ${p.key}: ${p.message}`);
  } else {
    lines.push('', 'Configuration complete.');
  }
  return lines.join('\n');
}

export function formatEmailLine(e: EmailSummary): string {
  const to = [...e.to, ...e.cc, ...e.bcc].map(addr);
  const recipients = to.length > 2 ? `${to.slice(0, 2).join(', ')} +${to.length - 2}` : to.join(', ');
  return [String(e.id).padStart(6), e.status.padEnd(9), e.createdAt, recipients, JSON.stringify(e.subject), e.lastReply ? `[${e.lastReply}]` : '']
    .join('  ')
    .trimEnd();
}

export function formatEmailDetail(e: EmailDetail & { waitingReason?: WaitingReason | null }): string {
  const lines = [
    `e-mail ${e.id}: ${e.status}`,
    `  message-id   ${e.messageId}`,
    `  created      ${e.createdAt} (by ${e.source})`,
    `  sender       ${e.sender ? addr(e.sender) : '(postmaster)'}`,
    `  to           ${e.to.map(addr).join(', ') || '-'}`,
  ];
  if (e.cc.length) lines.push(`  cc           ${e.cc.map(addr).join(', ')}`);
  if (e.bcc.length) lines.push(`  bcc          ${e.bcc.map(addr).join(', ')}`);
  lines.push(`  subject      ${e.subject}`);
  for (const f of e.attachments) lines.push(`  attachment   ${f.filename} (${f.contentType}, ${f.size} bytes)`);
  // A time already past is no "next try": the waiting line says what it waits for.
  if (e.nextAttemptAt && Date.parse(e.nextAttemptAt) > Date.now()) lines.push(`  next try     ${e.nextAttemptAt}`);
  if (e.waitingReason) lines.push(`  waiting      ${e.waitingReason.message}`);
  if (e.firstFailureAt) lines.push(`  first failed ${e.firstFailureAt}`);
  for (const r of e.recipients) {
    const fate = r.bounce
      ? `bounced (${r.bounce.type}) ${r.bounce.status ?? ''} ${r.bounce.diagnostic ?? ''}`
      : `${r.state}${r.state === 'refused' || r.state === 'deferred' ? `: ${r.reply}` : ''}`;
    lines.push(`  recipient    ${r.recipient}  ${fate.replace(/\s+/g, ' ').trim()}${r.delayed ? ` (delayed ${r.delayed.status ?? ''}, reported ${r.delayed.reportedAt})` : ''}`);
  }
  for (const r of e.reports) lines.push(`  report       ${r.receivedAt}  from ${r.reporter || '-'}, matched by ${r.matchedBy}: ${r.subject}`);
  lines.push(`  attempts     ${e.attemptLog.length}`);
  for (const a of e.attemptLog) {
    lines.push(`    ${a.startedAt}  ${a.route.padEnd(5)} ${a.outcome.padEnd(11)} ${a.reply ?? ''}`);
  }
  return lines.join('\n');
}

export function describeOutcome(o: CampaignOutcome): string {
  switch (o.state) {
    case 'disabled':
      return 'sending is disabled (settings set enabled=true)';
    case 'incomplete':
      return `configuration incomplete: ${o.problems.map((p) => p.message).join('; ')}`;
    case 'route-failing':
      return `route failing, e-mails wait: ${o.message}`;
    case 'error':
      return `campaign failed: ${o.message}`;
    case 'ran':
      return `claimed ${o.claimed}: sent ${o.sent}, retrying ${o.retrying}, failed ${o.failed}${o.routeFailure ? `; stopped: ${o.routeFailure}` : ''}`;
  }
}

export function formatStatus(s: { counts: Record<string, number>; problems: Problem[]; instances: InstanceStatus[] }): string {
  const lines = [`e-mails: ${Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`];
  for (const p of s.problems) lines.push(`problem: ${p.key}: ${p.message}`);
  const alive = s.instances.filter((i) => i.alive);
  if (alive.length === 0) lines.push('sending process: none running (start one with: postroom serve)');
  for (const i of alive) {
    lines.push(`sending process ${i.id}: alive, last heard ${i.heartbeatAt}`);
    if (i.lastCampaign) lines.push(`  last campaign ${i.lastCampaign.startedAt}: ${describeOutcome(i.lastCampaign.outcome)}`);
  }
  return lines.join('\n');
}
