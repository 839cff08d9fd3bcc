// The JSON body a receiver gets: {id, type, createdAt, data: {email}}. The e-mail is described as
// the status change left it, with statusVersion to put one e-mail's events in order.
import type { Selectable } from 'kysely';
import type { Database } from '../db/index.js';
import type { EmailEventType } from './events.js';
// The recipients module alone (it imports nothing): the queue's index imports webhooks, so not through it.
import { recipientViews, type BounceType, type RecipientReport, type RecipientView } from '../queue/recipients.js';
import { uniqueMailboxes, type Address } from '../mail/index.js';

export interface EventAddress {
  email: string;
  name?: string;
}

export interface WebhookEventBody {
  /** The same as the Postroom-Event-Id header: a receiver may see an event twice, never two events with one id. */
  id: string;
  type: EmailEventType;
  createdAt: string;
  data: {
    email: {
      id: number;
      messageId: string | null;
      idempotencyKey: string | null;
      status: string;
      /** Grows with each event of this e-mail: the highest one a receiver saw is the latest state. */
      statusVersion: number;
      to: EventAddress[];
      cc: EventAddress[];
      bcc: EventAddress[];
      subject: string | null;
      scheduledAt: string | null;
      attempts: number;
      /** email.deferred: when the next try is due. */
      nextAttemptAt: string | null;
      finishedAt: string | null;
      lastReplyCode: number | null;
      lastReply: string | null;
      /** Recipients refused while the others were accepted (email.recipient_refused). */
      rejectedRecipients: { recipient: string; code: number | null; reply: string }[];
      /** Every recipient with its state: the relay's answer (or the status's), then what delivery reports said. */
      recipients: RecipientView[];
    };
    /** email.bounced and email.delayed: the recipient the delivery report speaks of, and what it said. */
    recipient?: ReportedRecipient;
  };
}

export interface ReportedRecipient {
  recipient: string;
  /** email.bounced: hard (the address), soft (the recipient's side, for now), policy (a problem of ours). */
  type: BounceType | null;
  status: string | null;
  diagnostic: string | null;
  reportingMta: string | null;
  remoteMta: string | null;
  reportedAt: string;
}

type EventRow = Selectable<Database['email_events']>;
export type EmailFacts = Pick<Selectable<Database['emails']>, 'id' | 'message_id' | 'idempotency_key' | 'to_addrs' | 'cc_addrs' | 'bcc_addrs' | 'subject' | 'send_at'>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const list = <T>(json: string | null | undefined): T[] => (json ? (JSON.parse(json) as T[]) : []);

/** Public event id: one per (event row, type); an email.sent with refused recipients makes two. */
export const publicEventId = (eventRowId: number, type: EmailEventType) =>
  type === 'email.recipient_refused' ? `evt_${eventRowId}_refused` : `evt_${eventRowId}`;

/** The types one stored event is delivered as. */
export function deliveredTypes(ev: EventRow): EmailEventType[] {
  const refused = list(ev.rejected_recipients).length > 0;
  return ev.type === 'email.sent' && refused ? ['email.recipient_refused', 'email.sent'] : [ev.type as EmailEventType];
}

/** `email` is undefined when the e-mail was purged before its event went out: the event still goes. */
export function eventBody(ev: EventRow, type: EmailEventType, email: EmailFacts | undefined): WebhookEventBody {
  const detail = ev.detail ? (JSON.parse(ev.detail) as RecipientReport) : null;
  const addresses = email
    ? uniqueMailboxes([...list<Address>(email.to_addrs), ...list<Address>(email.cc_addrs), ...list<Address>(email.bcc_addrs)])
    : // Purged before the event went out: the recipients it had answers for.
      list<{ recipient: string }>(ev.recipients).map((r) => r.recipient);
  const recipients = recipientViews({
    status: ev.status,
    addresses,
    recipients: ev.recipients,
    reports: ev.reports,
    lastReplyCode: ev.last_reply_code,
    lastReply: ev.last_reply,
  });
  return {
    id: publicEventId(ev.id, type),
    type,
    createdAt: iso(ev.created_at) as string,
    data: {
      email: {
        id: ev.email_id,
        messageId: email?.message_id ?? null,
        idempotencyKey: email?.idempotency_key ?? null,
        status: ev.status,
        statusVersion: ev.id,
        to: list(email?.to_addrs),
        cc: list(email?.cc_addrs),
        bcc: list(email?.bcc_addrs),
        subject: email?.subject ?? null,
        scheduledAt: iso(email?.send_at ?? null),
        attempts: ev.attempt_count,
        nextAttemptAt: iso(ev.next_attempt_at),
        finishedAt: iso(ev.finished_at),
        lastReplyCode: ev.last_reply_code,
        lastReply: ev.last_reply,
        rejectedRecipients: list(ev.rejected_recipients),
        recipients,
      },
      ...(detail
        ? {
            recipient: {
              recipient: detail.recipient,
              type: detail.type,
              status: detail.status,
              diagnostic: detail.diagnostic,
              reportingMta: detail.reportingMta,
              remoteMta: detail.remoteMta,
              reportedAt: new Date(detail.reportedAt).toISOString(),
            },
          }
        : {}),
    },
  };
}
