// Finds the e-mail a report speaks of, trusting its evidence in order: the returned X-Postroom-Id
// (its MAC checked), the returned Message-ID, the report's In-Reply-To/References, the envelope id.
// Then which of that e-mail's recipients the report is about, and what it means for each.
import type { ReportTags } from '../mail/index.js';
import type { MatchedBy, RecipientReport, ReportTarget } from '../queue/index.js';
import { classify } from './classify.js';
import type { RecipientStatus } from './delivery-status.js';
import { recipientsInText, type ParsedReport } from './report.js';

export interface ReportLookup {
  byId(id: number): Promise<ReportTarget | null>;
  byMessageId(messageIds: string[]): Promise<ReportTarget | null>;
}

export interface Match {
  email: ReportTarget;
  by: MatchedBy;
  /** The report's facts for this e-mail's recipients; empty when it names none of them. */
  recipients: RecipientReport[];
}

export async function matchReport(report: ParsedReport, lookup: ReportLookup, tags: ReportTags, receivedAt: number): Promise<Match | null> {
  const found = await findEmail(report, lookup, tags);
  if (!found) return null;
  return { ...found, recipients: recipientsOf(report, found.email, receivedAt) };
}

async function findEmail(report: ParsedReport, lookup: ReportLookup, tags: ReportTags): Promise<{ email: ReportTarget; by: MatchedBy } | null> {
  const { evidence } = report;
  const byTag = async (tag: string): Promise<ReportTarget | null> => {
    const id = /^\s*<?(\d{1,15})\./.exec(tag)?.[1];
    if (!id) return null;
    const email = await lookup.byId(Number(id));
    // A wrong MAC is a forgery or another installation's e-mail: it names nothing here.
    return email && tags.verify(tag, email.id, email.messageId) ? email : null;
  };
  for (const tag of evidence.postroomIds.slice(0, 10)) {
    const email = await byTag(tag);
    if (email) return { email, by: 'postroom-id' };
  }
  if (evidence.messageIds.length) {
    const email = await lookup.byMessageId(evidence.messageIds);
    if (email) return { email, by: 'message-id' };
  }
  if (evidence.references.length) {
    const email = await lookup.byMessageId(evidence.references);
    if (email) return { email, by: 'in-reply-to' };
  }
  if (evidence.envelopeId) {
    const email = await byTag(evidence.envelopeId);
    if (email) return { email, by: 'envelope-id' };
  }
  return null;
}

/**
 * The report's recipients that are this e-mail's. A forwarding address reports its final
 * recipient, not ours: when the e-mail had one recipient, that is who it is about.
 */
function recipientsOf(report: ParsedReport, email: ReportTarget, receivedAt: number): RecipientReport[] {
  const ours = new Map(email.addresses.map((a) => [a.toLowerCase(), a]));
  let statuses: RecipientStatus[] = report.recipients;
  if (report.format === 'plain-text' && statuses.length === 0) statuses = recipientsInText(report.text, email.addresses);
  const out = new Map<string, RecipientReport>();
  for (const s of statuses) {
    const recipient =
      ours.get(s.recipient.toLowerCase()) ??
      (s.finalRecipient ? ours.get(s.finalRecipient.toLowerCase()) : undefined) ??
      (email.addresses.length === 1 && statuses.length === 1 ? email.addresses[0] : undefined);
    if (!recipient) continue;
    const { type, status } = classify(s);
    out.set(recipient.toLowerCase(), {
      recipient,
      action: s.action,
      type,
      status,
      diagnostic: s.diagnostic?.slice(0, 2000) ?? null,
      reportingMta: report.reportingMta,
      remoteMta: s.remoteMta,
      reportedAt: s.lastAttemptAt ?? report.reportedAt ?? receivedAt,
    });
  }
  return [...out.values()];
}
