// The tables Postroom keeps, as Kysely sees them. Times are milliseconds since the epoch
// (integer in SQLite, bigint in PostgreSQL) so both backends compare them the same way.
import type { ColumnType, Generated } from 'kysely';

export type EmailStatus = 'pending' | 'sending' | 'sent' | 'error' | 'failed' | 'held' | 'cancelled' | 'bounced';

export interface SettingsTable {
  key: string;
  /** JSON text; for a secret, the sealed envelope (never the plain value). */
  value: string;
  updated_at: number;
  updated_by: string;
}

/** Every administrative change: settings, tokens, webhooks, users, retries (`key` says what changed). */
export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  key: string;
  /** JSON text, or null for a secret (only the fact that it changed is kept). */
  old_value: string | null;
  new_value: string | null;
  secret: ColumnType<boolean, boolean | number, boolean | number>;
}

export interface EmailTable {
  id: Generated<number>;
  status: EmailStatus;
  message_id: string;
  idempotency_key: string | null;
  /** The user the host application named: From when not forced, Reply-To when forced. */
  sender_email: string | null;
  sender_name: string | null;
  /** JSON arrays of { email, name? }. */
  to_addrs: string;
  cc_addrs: string;
  bcc_addrs: string;
  subject: string;
  text_body: string | null;
  html_body: string | null;
  /** JSON object of extra headers. */
  headers: string;
  created_at: number;
  updated_at: number;
  /**
   * When the sending process should next look at this e-mail: the next attempt for
   * pending/error, the lease expiry for sending, NULL for every other status.
   */
  due_at: number | null;
  lease_owner: string | null;
  claim_count: number;
  attempt_count: number;
  first_failure_at: number | null;
  finished_at: number | null;
  last_reply_code: number | null;
  last_reply: string | null;
  /** JSON array of { recipient, code, reply } for a partial delivery. */
  rejected_recipients: string | null;
  /**
   * JSON array of { recipient, state: accepted | refused | deferred, code, reply }: what each
   * recipient answered so far. NULL until an attempt reports recipients one by one.
   */
  recipients: string | null;
  size_bytes: number;
  /** Lets the sending process skip the attachment query for the many e-mails that have none. */
  attachment_count: number;
  /** Who handed it over: "cli", "library", a token name. */
  source: string;
  /** The sendAt the host application asked for (ms), or null: send at once. */
  send_at: number | null;
  /**
   * JSON array of each recipient's latest delivery report ({ recipient, action, type, status, … }),
   * written by bounce processing only; null until a report names this e-mail.
   */
  reports: string | null;
  /** The Message-ID the service used when it is not message_id (Graph may assign its own). */
  sent_message_id: string | null;
}

export interface AttemptTable {
  id: Generated<number>;
  email_id: number;
  started_at: number;
  finished_at: number;
  route: string;
  outcome: 'sent' | 'transient' | 'permanent' | 'interrupted';
  reply_code: number | null;
  reply: string | null;
  instance: string;
}

export interface BlobTable {
  sha256: string;
  size: number;
  content: Buffer;
}

export interface EmailAttachmentTable {
  email_id: number;
  position: number;
  filename: string;
  content_type: string;
  content_id: string | null;
  blob_sha256: string;
}

export interface InstanceTable {
  id: string;
  hostname: string;
  pid: number;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
  last_campaign: string | null;
}

export interface AdminTable {
  username: string;
  /** scrypt$N$r$p$salt$hash, or null until the administrator chose a password. */
  password_hash: string | null;
  setup_token_hash: string | null;
  setup_expires_at: number | null;
  updated_at: number;
}

export interface SessionTable {
  /** SHA-256 of the cookie value: a stolen database holds no usable session. */
  id_hash: string;
  username: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  /** Last request made with it, for the idle timeout; null until the first one after sign-in. */
  last_seen_at: number | null;
}

export interface ApiTokenTable {
  id: Generated<number>;
  name: string;
  token_hash: string;
  /** The first characters of the token, to recognise it in a list. */
  prefix: string;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  revoked_at: number | null;
}

export type EmailSoftware = 'server' | 'outlook-new';

export interface UserTable {
  id: string;
  email: string;
  email_key: string;
  name: string;
  email_software: EmailSoftware;
  created_at: number;
  updated_at: number;
  /** The source that created the user (token:…, admin:…); null for users made before owners were kept. */
  owner: string | null;
}

export interface LoginAttemptTable {
  /** "ip:<address>" or "user:<name>". */
  key: string;
  attempts: number;
  window_started_at: number;
}

export interface WebhookTable {
  id: Generated<number>;
  url: string;
  /** JSON array of event types. */
  events: string;
  /** Sealed (AES-256-GCM with the master key). */
  secret: string;
  /** The emails.source it receives events of; null: every e-mail. */
  owner_source: string | null;
  token_id: number | null;
  created_by: string;
  created_at: number;
  /** The administrator who allowed a private or loopback target; null: public addresses only. */
  private_allowed_by: string | null;
  failing_since: number | null;
  disabled_at: number | null;
  disabled_reason: string | null;
}

/** Written in the same transaction as the status change; fanned out to deliveries, then deleted. */
export interface EmailEventTable {
  id: Generated<number>;
  email_id: number;
  type: string;
  status: EmailStatus;
  source: string;
  created_at: number;
  attempt_count: number;
  next_attempt_at: number | null;
  finished_at: number | null;
  last_reply_code: number | null;
  last_reply: string | null;
  rejected_recipients: string | null;
  recipients: string | null;
  /** email.bounced and email.delayed: the recipient's report (JSON); null for the other events. */
  detail: string | null;
  /** emails.reports as the change left it. */
  reports: string | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryTable {
  id: Generated<number>;
  webhook_id: number;
  event_id: string;
  status_version: number;
  type: string;
  email_id: number;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  last_status: number | null;
  last_body_excerpt: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** A delivery report matched to an e-mail (bounce processing). */
export interface DeliveryReportTable {
  id: Generated<number>;
  email_id: number;
  fingerprint: string;
  received_at: number;
  reported_at: number;
  matched_by: string;
  reporter: string;
  subject: string;
  /** JSON array of the recipients' facts as this report gave them. */
  recipients: string;
  raw: string;
  raw_truncated: ColumnType<boolean, boolean | number, boolean | number>;
}

/** Where the reading of the postmaster's mailbox stands: one row, 'bounces'. */
export interface MailboxCheckTable {
  id: string;
  identity: string;
  /** "<UIDVALIDITY>:<last UID>" over IMAP, the delta or next link over Graph. */
  cursor: string | null;
  holder: string | null;
  lease_until: number | null;
  started_at: number | null;
  finished_at: number | null;
  succeeded_at: number | null;
  error: string | null;
  error_at: number | null;
  last_counts: string | null;
  matched_total: number;
  unmatched_total: number;
}

export interface GraphSlotTable {
  mailbox: string;
  slot: number;
  holder: string;
  expires_at: number;
}

export interface Database {
  admins: AdminTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  users: UserTable;
  login_attempts: LoginAttemptTable;
  instances: InstanceTable;
  settings: SettingsTable;
  audit_log: AuditLogTable;
  emails: EmailTable;
  attempts: AttemptTable;
  blobs: BlobTable;
  email_attachments: EmailAttachmentTable;
  webhooks: WebhookTable;
  email_events: EmailEventTable;
  webhook_deliveries: WebhookDeliveryTable;
  graph_slots: GraphSlotTable;
  delivery_reports: DeliveryReportTable;
  mailbox_checks: MailboxCheckTable;
}
