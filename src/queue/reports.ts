// The SQL of delivery reports: finding the e-mail a report names, and recording what it says —
// the report kept, each recipient's latest report on the e-mail, the bounce status, the webhook
// events — in one transaction, so a report read twice (or by two instances) counts once.
import type { Kysely } from 'kysely';
import { writeTransaction, type Database, type Store } from '../db/index.js';
import { uniqueMailboxes, type Address } from '../mail/index.js';
import { recordEmailEvents } from '../webhooks/index.js';
import { TRANSITIONS } from './states.js';
import { mergeReports, parseRecipients, parseReports, type RecipientReport } from './recipients.js';

/** What matching needs of an e-mail. */
export interface ReportTarget {
  id: number;
  messageId: string;
  status: string;
  /** Every recipient (To, Cc, Bcc), each once. */
  addresses: string[];
}

/** How the report named its e-mail, in the order Postroom trusts the evidence. */
export type MatchedBy = 'postroom-id' | 'message-id' | 'in-reply-to' | 'envelope-id';

export interface NewReport {
  emailId: number;
  fingerprint: string;
  receivedAt: number;
  reportedAt: number;
  matchedBy: MatchedBy;
  reporter: string;
  subject: string;
  /** The recipients of this e-mail the report speaks of (others it names are not this e-mail's). */
  recipients: RecipientReport[];
  raw: string;
  rawTruncated: boolean;
}

export interface RecordedReport {
  /** False when this report was recorded before (read twice): nothing changed. */
  recorded: boolean;
  /** The e-mail's status after it: 'bounced' when no recipient got it. */
  status: string;
}

export interface StoredReport {
  id: number;
  receivedAt: string;
  reportedAt: string;
  matchedBy: string;
  reporter: string;
  subject: string;
  recipients: RecipientReport[];
  rawTruncated: boolean;
}

/** The raw text kept of a report: enough for an administrator to read it, bounded. */
export const RAW_REPORT_CHARS = 64 * 1024;

type Row = { id: number; message_id: string; status: string; to_addrs: string; cc_addrs: string; bcc_addrs: string };

const addressesOf = (r: Pick<Row, 'to_addrs' | 'cc_addrs' | 'bcc_addrs'>) =>
  uniqueMailboxes([...(JSON.parse(r.to_addrs) as Address[]), ...(JSON.parse(r.cc_addrs) as Address[]), ...(JSON.parse(r.bcc_addrs) as Address[])]);

const target = (r: Row): ReportTarget => ({ id: r.id, messageId: r.message_id, status: r.status, addresses: addressesOf(r) });

export class DeliveryReports {
  constructor(private readonly store: Store) {}

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  async byId(id: number): Promise<ReportTarget | null> {
    const row = await this.db.selectFrom('emails').select(['id', 'message_id', 'status', 'to_addrs', 'cc_addrs', 'bcc_addrs']).where('id', '=', id).executeTakeFirst();
    return row ? target(row) : null;
  }

  /** The e-mail that went out with one of these Message-IDs (ours, or the one a service gave it). */
  async byMessageId(messageIds: string[]): Promise<ReportTarget | null> {
    const ids = messageIds.filter((m) => m.length <= 998).slice(0, 50);
    if (ids.length === 0) return null;
    const row = await this.db
      .selectFrom('emails')
      .select(['id', 'message_id', 'status', 'to_addrs', 'cc_addrs', 'bcc_addrs'])
      .where((eb) => eb.or([eb('message_id', 'in', ids), eb('sent_message_id', 'in', ids)]))
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row ? target(row) : null;
  }

  async record(report: NewReport): Promise<RecordedReport> {
    return writeTransaction(this.store, async (trx) => {
      const inserted = await trx
        .insertInto('delivery_reports')
        .values({
          email_id: report.emailId,
          fingerprint: report.fingerprint,
          received_at: report.receivedAt,
          reported_at: report.reportedAt,
          matched_by: report.matchedBy,
          reporter: report.reporter.slice(0, 998),
          subject: report.subject.slice(0, 998),
          recipients: JSON.stringify(report.recipients),
          raw: report.raw.slice(0, RAW_REPORT_CHARS),
          raw_truncated: report.rawTruncated || report.raw.length > RAW_REPORT_CHARS ? 1 : 0,
        })
        .onConflict((oc) => oc.columns(['email_id', 'fingerprint']).doNothing())
        .returning('id')
        .executeTakeFirst();
      let q = trx.selectFrom('emails').select(['status', 'to_addrs', 'cc_addrs', 'bcc_addrs', 'recipients', 'reports']).where('id', '=', report.emailId);
      if (this.store.dialect === 'postgres') q = q.forUpdate();
      const email = await q.executeTakeFirst();
      if (!email) return { recorded: false, status: 'purged' };
      if (!inserted || report.recipients.length === 0) return { recorded: Boolean(inserted), status: email.status };

      const reports = mergeReports(parseReports(email.reports), report.recipients);
      const failed = new Set(reports.filter((r) => r.action === 'failed').map((r) => r.recipient.toLowerCase()));
      const refused = new Set(parseRecipients(email.recipients).filter((r) => r.state === 'refused').map((r) => r.recipient.toLowerCase()));
      const addresses = addressesOf(email);
      // No recipient got it: every one bounced, or was refused by the relay, at least one bounced.
      const nobodyGotIt = failed.size > 0 && addresses.every((a) => failed.has(a.toLowerCase()) || refused.has(a.toLowerCase()));
      const status = nobodyGotIt && (TRANSITIONS.bounce.from as readonly string[]).includes(email.status) ? TRANSITIONS.bounce.to : email.status;
      await trx
        .updateTable('emails')
        .set({ reports: JSON.stringify(reports), status, updated_at: report.receivedAt })
        .where('id', '=', report.emailId)
        .execute();
      await recordEmailEvents(
        trx,
        report.recipients
          .filter((r) => r.action === 'failed' || r.action === 'delayed')
          .map((r) => ({ emailId: report.emailId, type: r.action === 'failed' ? ('email.bounced' as const) : ('email.delayed' as const), detail: r })),
      );
      return { recorded: true, status };
    });
  }

  /** The reports recorded for an e-mail, oldest first (the e-mail page). */
  async list(emailId: number): Promise<StoredReport[]> {
    const rows = await this.db
      .selectFrom('delivery_reports')
      .select(['id', 'received_at', 'reported_at', 'matched_by', 'reporter', 'subject', 'recipients', 'raw_truncated'])
      .where('email_id', '=', emailId)
      .orderBy('id')
      .limit(100)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      receivedAt: new Date(r.received_at).toISOString(),
      reportedAt: new Date(r.reported_at).toISOString(),
      matchedBy: r.matched_by,
      reporter: r.reporter,
      subject: r.subject,
      recipients: JSON.parse(r.recipients) as RecipientReport[],
      rawTruncated: Boolean(r.raw_truncated),
    }));
  }

  /** One report's raw text, for "show the report as received". */
  async raw(emailId: number, reportId: number): Promise<{ raw: string; truncated: boolean } | null> {
    const row = await this.db
      .selectFrom('delivery_reports')
      .select(['raw', 'raw_truncated'])
      .where('email_id', '=', emailId)
      .where('id', '=', reportId)
      .executeTakeFirst();
    return row ? { raw: row.raw, truncated: Boolean(row.raw_truncated) } : null;
  }

  /** Bounces by type since a time, for the console and metrics. */
  async countSince(since: number): Promise<{ hard: number; soft: number; policy: number; delayed: number }> {
    const rows = await this.db
      .selectFrom('delivery_reports')
      .select(['recipients'])
      .where('received_at', '>=', since)
      .limit(10_000)
      .execute();
    const counts = { hard: 0, soft: 0, policy: 0, delayed: 0 };
    for (const r of rows) {
      for (const f of JSON.parse(r.recipients) as RecipientReport[]) {
        if (f.action === 'delayed') counts.delayed++;
        else if (f.action === 'failed' && f.type) counts[f.type]++;
      }
    }
    return counts;
  }
}

