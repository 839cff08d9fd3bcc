// The tables Postroom keeps, as Kysely sees them. Times are milliseconds since the epoch
// (integer in SQLite, bigint in PostgreSQL) so both backends compare them the same way.
import type { ColumnType, Generated } from 'kysely';

export type EmailStatus = 'pending' | 'sending' | 'sent' | 'error' | 'failed' | 'held' | 'cancelled';

export interface SettingsTable {
  key: string;
  /** JSON text; for a secret, the sealed envelope (never the plain value). */
  value: string;
  updated_at: number;
  updated_by: string;
}

export interface SettingsAuditTable {
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
  instances: InstanceTable;
  settings: SettingsTable;
  settings_audit: SettingsAuditTable;
  emails: EmailTable;
  attempts: AttemptTable;
  blobs: BlobTable;
  email_attachments: EmailAttachmentTable;
  graph_slots: GraphSlotTable;
}
