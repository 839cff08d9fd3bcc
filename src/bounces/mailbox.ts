// What bounce processing needs of a mailbox, whichever way it is read (IMAP, Microsoft Graph):
// pages of new messages since a cursor, a message's first bytes, and a move to Postroom's folders.

/** Postroom's two folders; nothing else in the mailbox is ever moved, and nothing is deleted. */
export type ReportFolder = 'Processed' | 'Unmatched';
export const PARENT_FOLDER = 'Postroom';

/** One message of a page: enough to screen it without downloading it. */
export interface MailboxEntry {
  /** The message's reference for fetch and move (an IMAP UID, a Graph message id). */
  ref: string;
  /** Lower-case header names of SCREENING_HEADERS, unfolded. */
  headers: Record<string, string>;
  size: number | null;
}

export interface MailboxPage {
  entries: MailboxEntry[];
  /** Where the next page (or, when done, the next check) starts: saved once the page is dealt with. */
  cursor: string;
  done: boolean;
}

export interface FetchedMessage {
  raw: Buffer;
  /** The message was longer than asked: `raw` is its beginning. */
  truncated: boolean;
}

export interface MailboxSession {
  /** The first page after `cursor`; null starts over (the first check reads the last `sinceDays`). */
  page(cursor: string | null, sinceDays: number): Promise<MailboxPage>;
  fetch(ref: string, maxBytes: number): Promise<FetchedMessage>;
  move(refs: string[], folder: ReportFolder): Promise<void>;
  close(): Promise<void>;
}

/** A mailbox that cannot be read, said for the administrator, with what to check. */
export class MailboxError extends Error {
  override name = 'MailboxError';
  constructor(
    message: string,
    /** The server refused the sign-in (a token may be stale: worth one more try with a fresh one). */
    readonly signInRefused = false,
  ) {
    super(message);
  }
}
