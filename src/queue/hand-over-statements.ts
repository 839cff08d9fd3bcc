// The SQLite side of storing a hand-over, as prepared statements: the e-mail's row, then its
// attachments' bytes and references, in the transaction of a group commit.
import type { PreparedStatement } from '../db/index.js';
import type { NewEmail } from './repository.js';

type Prepare = (sql: string) => PreparedStatement;
type Column = keyof NewEmail['row'];

/** Every column a hand-over sets, in the order of the insert's values. */
const COLUMNS = [
  'status', 'message_id', 'idempotency_key', 'sender_email', 'sender_name', 'to_addrs', 'cc_addrs', 'bcc_addrs', 'subject',
  'text_body', 'html_body', 'headers', 'created_at', 'updated_at', 'due_at', 'send_at', 'lease_owner', 'first_failure_at',
  'finished_at', 'last_reply_code', 'last_reply', 'rejected_recipients', 'recipients', 'size_bytes', 'attachment_count', 'source',
] as const satisfies readonly Column[];

// A column added to the table but not here fails the type check instead of being left out.
type Missing = Exclude<Column, (typeof COLUMNS)[number]>;
const allColumns: [Missing] extends [never] ? true : Missing = true;
void allColumns;

const EMAIL_INSERT = `insert into emails (${COLUMNS.join(', ')}, claim_count, attempt_count)
  values (${COLUMNS.map(() => '?').join(', ')}, 0, 0)`;
const BLOB_INSERT = 'insert into blobs (sha256, size, content) values (?, ?, ?) on conflict (sha256) do nothing';
const ATTACHMENT_INSERT = `insert into email_attachments (email_id, position, filename, content_type, content_id, blob_sha256)
  values (?, ?, ?, ?, ?, ?)`;

/** Stores one e-mail with its attachments; returns its id. */
export function insertEmailSqlite(prepare: Prepare, { row, attachments }: NewEmail): number {
  // Bytes first: the attachment rows refer to them (foreign key).
  for (const a of attachments) prepare(BLOB_INSERT).run(a.sha256, a.content.length, a.content);
  const id = Number(prepare(EMAIL_INSERT).run(...COLUMNS.map((c) => row[c])).lastInsertRowid);
  attachments.forEach((a, position) => prepare(ATTACHMENT_INSERT).run(id, position, a.filename, a.contentType, a.contentId, a.sha256));
  return id;
}
