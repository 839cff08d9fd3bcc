// The mailboxes behind the Microsoft stand-in (microsoft-standin.ts): mail folders, messages
// delivered by the test, and the Graph calls a bounce processor makes on them: list, get and
// create folders, message delta, get a message or its MIME, move a message. Written from
// Microsoft's documentation (learn.microsoft.com, each page cited next to what it justifies);
// where the documentation is silent a comment says so and names the behaviour chosen.
//
// Pages it follows:
// - "mailFolder resource type" (/graph/api/resources/mailfolder): properties; well-known folder
//   names, which "work regardless of the locale of the user's mailbox".
// - "List mailFolders" (/graph/api/user-list-mailfolders): the folders directly under the root,
//   hidden ones only with includeHiddenFolders=true, "the default page size (10 items)".
// - "Create MailFolder" (/graph/api/user-post-mailfolders), "Create child folder"
//   (/graph/api/mailfolder-post-childfolders): displayName and isHidden, 201 with the folder,
//   Mail.ReadWrite.
// - "message: delta" (/graph/api/message-delta), "Get incremental changes to messages in a folder"
//   (/graph/delta-query-messages), "Use delta query to track changes in Microsoft Graph data"
//   (/graph/delta-query-overview): the round of nextLinks ending in a deltaLink, opaque state
//   tokens that carry the first request's query options, $select/$top/$expand, the only $filter
//   being receivedDateTime ge|gt, "Applying $filter in a delta query returns only up to 5,000
//   messages", Prefer: odata.maxpagesize, @removed entries, 410 for a reset, syncStateNotFound for
//   an expired token.
// - "Get message" (/graph/api/message-get), "Get MIME content of a message"
//   (/graph/outlook-get-mime-message): $select (internetMessageHeaders only on $select), $value
//   answered as text/plain.
// - "message: move" (/graph/api/message-move): destinationId is a folder id or a well-known name;
//   201 with the message; "This creates a new copy of the message in the destination folder and
//   removes the original message".
// - "Obtain immutable identifiers for Outlook resources" (/graph/outlook-immutable-id): an item's id
//   changes when it is moved unless the request carries Prefer: IdType="ImmutableId"; folder ids
//   never change.
// - "Microsoft Graph permissions reference" (/graph/permissions-reference) and each page's
//   permission table: reading takes Mail.ReadBasic.All, Mail.Read or Mail.ReadWrite (Mail.ReadBasic
//   excludes the body and attachments, so not the MIME); creating folders and moving take
//   Mail.ReadWrite.
// - "Microsoft Graph error responses" (/graph/errors): {error: {code, message}}, 409 Conflict,
//   410 Gone, syncStateNotFound and resyncRequired.
import crypto from 'node:crypto';

/** A Graph refusal raised by the mailbox code; the stand-in turns it into its error body. */
export class GraphProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What a mailbox route answers: JSON (body) or bytes (raw, with their content type). */
export interface MailAnswer {
  status: number;
  body?: unknown;
  raw?: { bytes: Buffer; contentType: string };
  headers?: Record<string, string>;
}

/** One Graph request on /v1.0/users/{mailbox}…, after the token, throttle and mailbox checks. */
export interface MailRequest {
  method: string;
  mailbox: string;
  /** The path after /v1.0/users/{mailbox}, e.g. /mailFolders/inbox/messages/delta. */
  rest: string;
  query: URLSearchParams;
  /** The Prefer header(s), joined. */
  prefer: string;
  body: Buffer;
  /** The application permissions of the bearer token. */
  roles: readonly string[];
}

export interface Recipient {
  emailAddress: { name: string; address: string };
}

/** A top-level header as a mail client sees it: name and unfolded value. */
export interface RawHeader {
  name: string;
  value: string;
}

/** A folder as the test sees it (mailboxFolders). */
export interface MailboxFolderView {
  id: string;
  /** Display names from the top of the information store, '/'-separated: 'Inbox', 'Postroom/Processed'. */
  path: string;
  displayName: string;
  wellKnownName: string | null;
  totalItemCount: number;
  unreadItemCount: number;
}

/** A message as the test sees it (messagesIn). */
export interface MailboxMessageView {
  /** The id Graph gives it now (it changes when the message is moved). */
  id: string;
  /** The id Graph gives it under Prefer: IdType="ImmutableId" (it survives moves). */
  immutableId: string;
  mime: Buffer;
  isRead: boolean;
  receivedDateTime: string;
  internetMessageId: string | null;
  subject: string;
}

interface StoredMessage {
  /** The immutable id: the item's identity for the whole of its life in the mailbox. */
  key: string;
  /** The default ("REST") id, replaced on every move. */
  restId: string;
  folderId: string;
  mime: Buffer;
  headers: RawHeader[];
  internetMessageId: string | null;
  subject: string;
  from: Recipient | null;
  sender: Recipient | null;
  to: Recipient[];
  cc: Recipient[];
  replyTo: Recipient[];
  sentAt: Date | null;
  receivedAt: Date;
  modifiedAt: Date;
  isRead: boolean;
  version: number;
  conversationId: string;
  hasAttachments: boolean;
  importance: 'low' | 'normal' | 'high';
  readReceiptRequested: boolean;
}

type EventKind = 'added' | 'updated' | 'removed';

/** One change to a folder's contents; a delta round is the changes after its watermark. */
interface FolderEvent {
  seq: number;
  key: string;
  kind: EventKind;
  fields: readonly string[];
  /** The default id the message had in this folder (what an @removed entry names). */
  restId: string;
}

interface Folder {
  id: string;
  displayName: string;
  parentId: string;
  wellKnownName: string | null;
  isHidden: boolean;
  children: string[];
  items: Map<string, StoredMessage>;
  log: FolderEvent[];
}

interface Mailbox {
  address: string;
  rootId: string;
  folders: Map<string, Folder>;
  byRestId: Map<string, StoredMessage>;
  byKey: Map<string, StoredMessage>;
}

interface DeltaOptions {
  select: string[] | null;
  filter: { op: 'ge' | 'gt'; at: number; text: string } | null;
  orderDesc: boolean;
  changeType: 'created' | 'updated' | 'deleted' | null;
  top: number | null;
}

interface DeltaEntry {
  key: string;
  kind: 'created' | 'updated' | 'removed';
  fields: readonly string[];
  restId: string;
}

interface DeltaRound {
  entries: DeltaEntry[];
  watermark: number;
}

/**
 * One synchronization of a folder, from a first delta request on: each token issued along it is a
 * new generation (see syncStateGenerations). Another first request starts another stream.
 */
interface SyncStream {
  generation: number;
}

interface SyncState {
  kind: 'skip' | 'delta';
  mailbox: string;
  folderId: string;
  stream: SyncStream;
  generation: number;
  /** Order of issue across the store (expireDeltaTokens and resetDeltaSync cut by it). */
  serial: number;
  options: DeltaOptions;
  /** skip: the round being paged and the next entry; delta: the round's watermark. */
  round: DeltaRound | null;
  offset: number;
  watermark: number;
}

/** Outlook's default folders (the v1.0 "List mailFolders" example), with their well-known names. */
const DEFAULT_FOLDERS: readonly (readonly [string, string])[] = [
  ['archive', 'Archive'],
  ['conversationhistory', 'Conversation History'],
  ['deleteditems', 'Deleted Items'],
  ['drafts', 'Drafts'],
  ['inbox', 'Inbox'],
  ['junkemail', 'Junk Email'],
  ['outbox', 'Outbox'],
  ['sentitems', 'Sent Items'],
];

/** The message properties the stand-in models ("message resource type", v1.0). */
const MESSAGE_PROPS = [
  'id',
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'categories',
  'receivedDateTime',
  'sentDateTime',
  'hasAttachments',
  'internetMessageId',
  'subject',
  'importance',
  'parentFolderId',
  'conversationId',
  'isDeliveryReceiptRequested',
  'isReadReceiptRequested',
  'isRead',
  'isDraft',
  'webLink',
  'inferenceClassification',
  'sender',
  'from',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'flag',
  'internetMessageHeaders',
] as const;
/** Real message properties it does not model: selecting one is a stand-in limit, not a Graph error. */
const UNMODELLED_PROPS = ['body', 'bodyPreview', 'uniqueBody', 'conversationIndex', 'attachments', 'extensions', 'mentionsPreview'];
/** "internetMessageHeaders … Returned only on applying a $select query option" (message resource). */
const DEFAULT_MESSAGE_PROPS = MESSAGE_PROPS.filter((p) => p !== 'internetMessageHeaders');
const FOLDER_PROPS = ['id', 'displayName', 'parentFolderId', 'childFolderCount', 'unreadItemCount', 'totalItemCount', 'isHidden'] as const;

/** "The default page size is 10 messages. Use $top to customize the page size, within the range of 1 and 1000." (List messages) */
export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 1000;
/** "Applying $filter in a delta query returns only up to 5,000 messages." (delta-query-messages) */
export const DELTA_FILTER_LIMIT = 5000;

const READ_ROLES = ['Mail.ReadBasic.All', 'Mail.Read', 'Mail.ReadWrite'];
const READ_CONTENT_ROLES = ['Mail.Read', 'Mail.ReadWrite'];
const WRITE_ROLES = ['Mail.ReadWrite'];

const accessDenied = () => new GraphProblem(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
const itemNotFound = () => new GraphProblem(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
const idMalformed = () => new GraphProblem(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');

export class MailboxStore {
  /** $value GETs answered with the MIME. */
  mimeDownloads = 0;
  /** Delta GETs that reached a mailbox (refused ones included: a client looping on 410 shows here). */
  deltaRequests = 0;
  /** Messages moved (201 answers to POST …/move). */
  moves = 0;
  /**
   * How many state-token generations one synchronization keeps. The overview says Outlook's delta tokens live
   * in a cache of no fixed size whose oldest tokens are dropped ("Token duration"); users report
   * SyncStateNotFound for an old nextLink with "generation=518;[highest=523][523][521][522]"
   * (microsoftgraph/microsoft-graph-docs#2162, #2350): three kept. Every nextLink or deltaLink
   * issued along one synchronization is a generation; going back further than that (replaying an
   * old stored link) answers SyncStateNotFound. Infinity turns eviction off.
   */
  syncStateGenerations = 3;
  private readonly boxes = new Map<string, Mailbox>();
  private readonly states = new Map<string, SyncState>();
  private seq = 0;
  private serials = 0;
  /** Tokens issued before these serials are expired / must restart (expireDeltaTokens, resetDeltaSync). */
  private expiredBelow = 0;
  private resetBelow = 0;

  constructor(private readonly origin: () => string) {}

  // --- test-side ---------------------------------------------------------------------------

  /** Puts a message in the Inbox as Exchange's delivery would; returns its (default) id. */
  deliver(mailbox: string, mime: Buffer | string, opts: { receivedAt?: Date; isRead?: boolean } = {}): string {
    const box = this.box(mailbox);
    const inbox = this.wellKnown(box, 'inbox');
    const bytes = typeof mime === 'string' ? Buffer.from(mime, 'utf8') : mime;
    const headers = parseHeaderBlock(bytes);
    const get = (name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value;
    // Graph shows times to the second; the stand-in keeps them so, so that what a client reads is
    // exactly what a receivedDateTime filter compares against.
    const receivedAt = new Date(Math.floor((opts.receivedAt ?? new Date()).getTime() / 1000) * 1000);
    const from = parseAddresses(get('from') ?? '')[0] ?? null;
    const date = get('date');
    const sentAt = date && !Number.isNaN(Date.parse(date)) ? new Date(Date.parse(date)) : null;
    // importance: the Importance field, else X-Priority 1-2 high and 4-5 low (the common reading;
    // the Graph docs do not say how Outlook maps them).
    const xPriority = (get('x-priority') ?? '').trim().charAt(0);
    const priority = (get('importance') ?? '').trim().toLowerCase() || (xPriority === '1' || xPriority === '2' ? 'high' : xPriority === '4' || xPriority === '5' ? 'low' : 'normal');
    const message: StoredMessage = {
      key: newId('AAkALgAA', 33),
      restId: newId('AAMkAD', 33),
      folderId: inbox.id,
      mime: bytes,
      headers,
      internetMessageId: messageIdOf(get('message-id')),
      subject: decodeWords(get('subject') ?? ''),
      from,
      sender: parseAddresses(get('sender') ?? '')[0] ?? from,
      to: parseAddresses(get('to') ?? ''),
      cc: parseAddresses(get('cc') ?? ''),
      replyTo: parseAddresses(get('reply-to') ?? ''),
      sentAt,
      receivedAt,
      modifiedAt: receivedAt,
      isRead: opts.isRead ?? false,
      version: 1,
      conversationId: newId('AAQkAD', 24),
      // Silent in the docs for received mail; Outlook lists the parts of a mixed or report
      // (DSN) message as attachments, so those count.
      hasAttachments: /^multipart\/(mixed|report)\b/i.test(get('content-type') ?? ''),
      importance: priority === 'high' || priority === 'low' ? priority : 'normal',
      readReceiptRequested: get('disposition-notification-to') !== undefined,
    };
    box.byKey.set(message.key, message);
    box.byRestId.set(message.restId, message);
    inbox.items.set(message.key, message);
    this.log(inbox, message, 'added', []);
    return message.restId;
  }

  folders(mailbox: string): MailboxFolderView[] {
    const box = this.box(mailbox);
    const out: MailboxFolderView[] = [];
    const walk = (id: string, prefix: string) => {
      const f = box.folders.get(id);
      if (!f) return;
      for (const child of this.childrenOf(box, f, true)) {
        const path = prefix ? `${prefix}/${child.displayName}` : child.displayName;
        out.push({ id: child.id, path, displayName: child.displayName, wellKnownName: child.wellKnownName, totalItemCount: child.items.size, unreadItemCount: unread(child) });
        walk(child.id, path);
      }
    };
    walk(box.rootId, '');
    return out;
  }

  messagesIn(mailbox: string, folderPath: string): MailboxMessageView[] {
    const box = this.box(mailbox);
    let folder = box.folders.get(box.rootId);
    for (const name of folderPath.split('/').filter(Boolean)) {
      folder = folder ? this.childrenOf(box, folder, true).find((c) => c.displayName.toLowerCase() === name.toLowerCase()) : undefined;
    }
    if (!folder || folder.id === box.rootId) throw new Error(`${mailbox} has no folder '${folderPath}'`);
    return [...folder.items.values()].map((m) => ({
      id: m.restId,
      immutableId: m.key,
      mime: m.mime,
      isRead: m.isRead,
      receivedDateTime: graphTime(m.receivedAt),
      internetMessageId: m.internetMessageId,
      subject: m.subject,
    }));
  }

  /** Someone reads (or marks unread) the message in Outlook: a change a delta round reports. */
  setRead(mailbox: string, id: string, isRead: boolean): void {
    const m = this.messageById(this.box(mailbox), id);
    if (!m) throw new Error(`${mailbox} has no message ${id}`);
    if (m.isRead === isRead) return;
    m.isRead = isRead;
    this.touch(m);
    const folder = this.box(mailbox).folders.get(m.folderId);
    if (folder) this.log(folder, m, 'updated', ['isRead']);
  }

  /** The message is deleted for good (a retention policy, a user emptying the folder). */
  delete(mailbox: string, id: string): void {
    const box = this.box(mailbox);
    const m = this.messageById(box, id);
    if (!m) throw new Error(`${mailbox} has no message ${id}`);
    const folder = box.folders.get(m.folderId);
    if (folder) {
      folder.items.delete(m.key);
      this.log(folder, m, 'removed', []);
    }
    box.byKey.delete(m.key);
    box.byRestId.delete(m.restId);
  }

  /** Every delta and skip token issued so far is gone from Outlook's token cache (SyncStateNotFound). */
  expireDeltaTokens(): void {
    this.expiredBelow = this.serials + 1;
  }

  /** Microsoft resets synchronization (maintenance, a tenant move): 410 with a Location to start over. */
  resetDeltaSync(): void {
    this.resetBelow = this.serials + 1;
  }

  // --- Graph -------------------------------------------------------------------------------

  /** Answers a mailbox request, or null when the path is not one of the mailbox routes. */
  route(req: MailRequest): MailAnswer | null {
    const seg = segments(req.rest);
    const lower = seg.map((s) => s.toLowerCase());
    const box = this.box(req.mailbox);
    const immutable = /IdType\s*=\s*"?ImmutableId"?/i.test(req.prefer);
    if (lower[0] === 'mailfolders') {
      if (seg.length === 1) return this.folderCollection(req, box, this.root(box), `/mailFolders`);
      let folder = this.resolveFolder(box, seg[1] ?? '');
      let i = 2;
      while (lower[i] === 'childfolders' && seg[i + 1] !== undefined) {
        folder = this.resolveFolder(box, seg[i + 1] ?? '');
        i += 2;
      }
      if (i === seg.length) {
        if (req.method !== 'GET') return null;
        this.need(req, READ_ROLES);
        return { status: 200, body: { '@odata.context': `${this.origin()}/v1.0/$metadata#users('${box.address}')/mailFolders/$entity`, ...this.renderFolder(box, folder, selectFolder(req.query)) } };
      }
      if (lower[i] === 'childfolders' && i + 1 === seg.length) return this.folderCollection(req, box, folder, `/mailFolders('${folder.id}')/childFolders`);
      if (lower[i] === 'messages' && i + 2 === seg.length && isDelta(lower[i + 1] ?? '')) {
        if (req.method !== 'GET') return null;
        return this.delta(req, box, folder, immutable);
      }
      if (lower[i] === 'messages' && seg[i + 1] !== undefined) return this.messageRoute(req, box, seg[i + 1] ?? '', seg.slice(i + 2), immutable);
      return null;
    }
    if (lower[0] === 'messages' && seg[1] !== undefined) return this.messageRoute(req, box, seg[1], seg.slice(2), immutable);
    return null;
  }

  private messageRoute(req: MailRequest, box: Mailbox, id: string, tail: string[], immutable: boolean): MailAnswer | null {
    const action = (tail[0] ?? '').toLowerCase();
    if (tail.length > 1) return null;
    if (req.method === 'GET' && action === '') {
      this.need(req, READ_ROLES);
      const m = this.findMessage(box, id);
      const props = selectMessage(req.query);
      const context = `${this.origin()}/v1.0/$metadata#users('${box.address}')/messages${props ? `(${props.join(',')})` : ''}/$entity`;
      return { status: 200, body: { '@odata.context': context, ...this.renderMessage(m, props, immutable, false) } };
    }
    if (req.method === 'GET' && action === '$value') {
      // Mail.ReadBasic leaves out the body and attachments, which the MIME carries.
      this.need(req, READ_CONTENT_ROLES);
      const m = this.findMessage(box, id);
      this.mimeDownloads++;
      // "Content-type: text/plain" ("Get message", example 4; "Send messages with MIME content":
      // "the existing GET /messages/{MESSAGE_ID}/$value endpoint … response header is
      // Content-Type: text/plain"). Outlook "does not save messages in MIME format" and rebuilds
      // the MIME on request ("Get MIME content of a message"); the stand-in hands back the bytes
      // delivered, which a client must not rely on byte for byte.
      return { status: 200, raw: { bytes: m.mime, contentType: 'text/plain' } };
    }
    if (req.method === 'POST' && (action === 'move' || action === 'microsoft.graph.move')) {
      this.need(req, WRITE_ROLES);
      const m = this.findMessage(box, id);
      return this.move(req, box, m, immutable);
    }
    return null;
  }

  private folderCollection(req: MailRequest, box: Mailbox, parent: Folder, linkPath: string): MailAnswer | null {
    if (req.method === 'POST') return this.createFolder(req, box, parent);
    if (req.method !== 'GET') return null;
    this.need(req, READ_ROLES);
    const q = req.query;
    const hidden = param(q, 'includehiddenfolders')?.toLowerCase() === 'true';
    let children = this.childrenOf(box, parent, hidden);
    const filter = param(q, 'filter');
    if (filter !== null) {
      // "This method supports OData query parameters" (List mailFolders); the stand-in takes the
      // one a client needs to find its folder. Outlook compares names case-insensitively (the docs
      // are silent; Exchange's restrictions are case-insensitive), so it does too.
      const eq = /^\s*displayName\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
      if (!eq) throw new GraphProblem(400, 'ErrorInvalidUrlQueryFilter', `the stand-in only filters mail folders with displayName eq '…', not: ${filter}`);
      const name = (eq[1] ?? '').replace(/''/g, "'").toLowerCase();
      children = children.filter((c) => c.displayName.toLowerCase() === name);
    }
    // "If a collection exceeds the default page size (10 items), the @odata.nextLink property is
    // returned" (List mailFolders); $top's maximum for folders is not given: List messages' 1000.
    const top = clamp(intParam(q, 'top') ?? DEFAULT_PAGE_SIZE);
    const skip = intParam(q, 'skip') ?? 0;
    const page = children.slice(skip, skip + top);
    const select = selectFolder(q);
    const body: Record<string, unknown> = {
      '@odata.context': `${this.origin()}/v1.0/$metadata#users('${box.address}')/mailFolders`,
      value: page.map((f) => this.renderFolder(box, f, select)),
    };
    if (skip + top < children.length) {
      // Outlook pages folder lists with $skip; the link repeats the request's other options.
      const next = new URLSearchParams(q);
      for (const k of [...next.keys()]) if (/^\$?skip$/i.test(k)) next.delete(k);
      next.set('$skip', String(skip + top));
      body['@odata.nextLink'] = `${this.origin()}/v1.0/users/${box.address}${linkPath}?${odataQuery(next)}`;
    }
    return { status: 200, body };
  }

  private createFolder(req: MailRequest, box: Mailbox, parent: Folder): MailAnswer {
    this.need(req, WRITE_ROLES);
    const input = json<{ displayName?: unknown; isHidden?: unknown }>(req.body);
    const name = typeof input.displayName === 'string' ? input.displayName.trim() : '';
    // Silent in the docs; Exchange refuses a folder without a name.
    if (!name) throw new GraphProblem(400, 'ErrorInvalidRequest', 'displayName is required to create a mail folder.');
    // A second folder of the same name under one parent: the docs list no error. Exchange's
    // ResponseCode reference says ErrorFolderExists "occurs when you try to create a folder with
    // the same name as another folder in the same parent. Duplicate folder names are not allowed."
    // ("ResponseCode", /exchange/client-developer/web-service-reference/responsecode); "409
    // Conflict: The current state conflicts with what the request expects" ("Microsoft Graph error
    // responses"). Some users report 400 with the same code: clients should go by the code. Hidden
    // folders take their name too, and names compare case-insensitively (undocumented: Outlook's).
    if (parent.children.some((id) => box.folders.get(id)?.displayName.toLowerCase() === name.toLowerCase())) {
      throw new GraphProblem(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
    }
    const folder = this.addFolder(box, parent, name, null, input.isHidden === true);
    return { status: 201, body: { '@odata.context': `${this.origin()}/v1.0/$metadata#users('${box.address}')/mailFolders/$entity`, ...this.renderFolder(box, folder, null) } };
  }

  private move(req: MailRequest, box: Mailbox, m: StoredMessage, immutable: boolean): MailAnswer {
    const input = json<{ destinationId?: unknown }>(req.body);
    if (typeof input.destinationId !== 'string' || !input.destinationId) throw new GraphProblem(400, 'ErrorInvalidRequest', 'destinationId is required.');
    const dest = this.resolveFolder(box, input.destinationId);
    const from = box.folders.get(m.folderId);
    // A move into the folder it is already in: silent in the docs; the stand-in leaves it be.
    if (from && dest.id !== from.id) {
      from.items.delete(m.key);
      this.log(from, m, 'removed', []);
      // "This creates a new copy of the message in the destination folder and removes the
      // original message" (message: move); the id "changes when the item is moved from one
      // container … to another" unless immutable ids are asked for (outlook-immutable-id).
      box.byRestId.delete(m.restId);
      m.restId = newId('AAMkAD', 33);
      box.byRestId.set(m.restId, m);
      m.folderId = dest.id;
      this.touch(m);
      dest.items.set(m.key, m);
      this.log(dest, m, 'added', []);
    }
    this.moves++;
    return { status: 201, body: { '@odata.context': `${this.origin()}/v1.0/$metadata#message`, ...this.renderMessage(m, null, immutable, true) } };
  }

  // --- delta -------------------------------------------------------------------------------

  private delta(req: MailRequest, box: Mailbox, folder: Folder, immutable: boolean): MailAnswer {
    this.deltaRequests++;
    // "The same permissions that are required to read a specific resource are also required to
    // perform delta query on that resource" (delta-query-overview).
    this.need(req, READ_ROLES);
    const q = req.query;
    const skipToken = param(q, 'skiptoken');
    const deltaToken = param(q, 'deltatoken');
    let round: DeltaRound;
    let offset = 0;
    let options: DeltaOptions;
    let stream: SyncStream;
    if (skipToken !== null) {
      const state = this.state(box, folder, skipToken, 'skip');
      ({ options, stream } = state);
      round = state.round ?? { entries: [], watermark: state.watermark };
      offset = state.offset;
    } else if (deltaToken !== null && deltaToken !== '') {
      const state = this.state(box, folder, deltaToken, 'delta');
      ({ options, stream } = state);
      round = this.changesSince(box, folder, state.watermark, options);
    } else {
      // An empty $deltatoken is "the same as the initial query" (delta-query-overview,
      // "Synchronization reset"). Query options count only here: the tokens carry them after.
      options = deltaOptions(q);
      round = this.initialRound(folder, options);
      stream = { generation: 0 };
    }
    // Prefer: odata.maxpagesize={x} sets the page ("message: delta", request headers); without it
    // a page is 10 messages, the default of List messages, which users see on delta too
    // (microsoftgraph/msgraph-sdk-java#536, microsoft-graph-docs#6006). Its maximum on delta is
    // undocumented; the stand-in caps it at List messages' 1000.
    const asked = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(req.prefer)?.[1];
    const pageSize = clamp(asked === undefined ? DEFAULT_PAGE_SIZE : Number(asked));
    const slice = round.entries.slice(offset, offset + pageSize);
    const value = slice.flatMap((e) => this.renderEntry(box, folder, e, options, immutable));
    const body: Record<string, unknown> = { '@odata.context': `${this.origin()}/v1.0/$metadata#Collection(message)` };
    const link = `${this.origin()}/v1.0/users/${box.address}/mailFolders('${folder.id}')/messages/delta`;
    if (offset + pageSize < round.entries.length) {
      body['@odata.nextLink'] = `${link}?$skiptoken=${this.issue(box, folder, { kind: 'skip', stream, options, round, offset: offset + pageSize, watermark: round.watermark })}`;
    } else {
      body['@odata.deltaLink'] = `${link}?$deltatoken=${this.issue(box, folder, { kind: 'delta', stream, options, round: null, offset: 0, watermark: round.watermark })}`;
    }
    body.value = value;
    return { status: 200, body };
  }

  /** The first round: every message now in the folder ("returns the resources that currently exist in the collection"). */
  private initialRound(folder: Folder, options: DeltaOptions): DeltaRound {
    let items = [...folder.items.values()];
    if (options.filter) {
      const { op, at } = options.filter;
      items = items.filter((m) => (op === 'ge' ? m.receivedAt.getTime() >= at : m.receivedAt.getTime() > at));
      // "Applying $filter in a delta query returns only up to 5,000 messages." Which ones is not
      // said; the stand-in keeps the most recently received, as Outlook's received-date views do.
      if (items.length > DELTA_FILTER_LIMIT) {
        const kept = new Set([...items].sort(newestFirst).slice(0, DELTA_FILTER_LIMIT));
        items = items.filter((m) => kept.has(m));
      }
    }
    if (options.orderDesc) items.sort(newestFirst);
    const entries: DeltaEntry[] = items.map((m) => ({ key: m.key, kind: 'created', fields: [], restId: m.restId }));
    // The changeType option applies from the second round on: the first returns every message
    // (delta-query-messages, example 2).
    return { entries: capped(entries, options.top), watermark: this.seq };
  }

  /** A later round: what happened in the folder after the watermark, one entry per message. */
  private changesSince(box: Mailbox, folder: Folder, watermark: number, options: DeltaOptions): DeltaRound {
    const start = firstAfter(folder.log, watermark);
    const byKey = new Map<string, { first: EventKind; last: EventKind; fields: Set<string>; removedRestIds: string[]; restId: string }>();
    for (let i = start; i < folder.log.length; i++) {
      const e = folder.log[i];
      if (!e) continue;
      const seen = byKey.get(e.key);
      if (!seen) {
        byKey.set(e.key, { first: e.kind, last: e.kind, fields: new Set(e.fields), removedRestIds: e.kind === 'removed' ? [e.restId] : [], restId: e.restId });
        continue;
      }
      seen.last = e.kind;
      seen.restId = e.restId;
      for (const f of e.fields) seen.fields.add(f);
      if (e.kind === 'removed') seen.removedRestIds.push(e.restId);
    }
    const entries: DeltaEntry[] = [];
    for (const [key, c] of byKey) {
      const before = c.first !== 'added';
      const after = c.last !== 'removed';
      const m = box.byKey.get(key);
      if (options.filter && m) {
        const t = m.receivedAt.getTime();
        if (options.filter.op === 'ge' ? t < options.filter.at : t <= options.filter.at) continue;
      }
      if (before && !after) entries.push({ key, kind: 'removed', fields: [], restId: c.removedRestIds[0] ?? c.restId });
      else if (!before && after) entries.push({ key, kind: 'created', fields: [], restId: c.restId });
      else if (before && after) {
        // Out and back in again: under its old default id it is gone, under a new one it is new.
        if (c.removedRestIds.length > 0) {
          entries.push({ key, kind: 'removed', fields: [], restId: c.removedRestIds[0] ?? c.restId });
          entries.push({ key, kind: 'created', fields: [], restId: c.restId });
        } else if (c.fields.size > 0) entries.push({ key, kind: 'updated', fields: [...c.fields], restId: c.restId });
      }
    }
    const wanted = options.changeType === null ? entries : entries.filter((e) => e.kind === (options.changeType === 'deleted' ? 'removed' : options.changeType));
    return { entries: capped(wanted, options.top), watermark: this.seq };
  }

  private renderEntry(box: Mailbox, folder: Folder, e: DeltaEntry, options: DeltaOptions, immutable: boolean): Record<string, unknown>[] {
    if (e.kind === 'removed') {
      // Removed instances "are represented by their id and an @removed object"; the messages
      // example gives reason "deleted". A message moved to another folder is gone from this one
      // the same way (the docs do not separate the two for messages).
      return [{ '@odata.type': '#microsoft.graph.message', id: immutable ? e.key : e.restId, '@removed': { reason: 'deleted' } }];
    }
    const m = box.byKey.get(e.key);
    // Gone from the folder since the round began: the next round reports it removed.
    if (!m || m.folderId !== folder.id) return [];
    if (e.kind === 'created') return [this.renderMessage(m, options.select, immutable, true)];
    // "Updated instances are represented by their id with at least the properties that have been
    // updated" (delta-query-overview); users see only those (and parentFolderId) when a message
    // is marked read (microsoft-graph-docs#7776).
    const selected = options.select ?? DEFAULT_MESSAGE_PROPS;
    const props = [...e.fields, 'parentFolderId'].filter((p) => selected.includes(p));
    return [this.renderMessage(m, props, immutable, true)];
  }

  private issue(box: Mailbox, folder: Folder, s: Omit<SyncState, 'mailbox' | 'folderId' | 'generation' | 'serial'>): string {
    // State tokens "are opaque to the client" (delta-query-messages): random, the state kept here.
    const token = crypto.randomBytes(30).toString('base64url');
    s.stream.generation++;
    this.states.set(token, { ...s, mailbox: box.address, folderId: folder.id, generation: s.stream.generation, serial: ++this.serials });
    return token;
  }

  private state(box: Mailbox, folder: Folder, token: string, kind: SyncState['kind']): SyncState {
    const s = this.states.get(token);
    // A token never issued, or issued for another folder: undocumented. Client libraries handle
    // 410 with SyncStateInvalid beside SyncStateNotFound (alcionai/corso, ruby_outlook), so that.
    if (!s || s.kind !== kind || s.mailbox !== box.address || s.folderId !== folder.id) {
      throw new GraphProblem(410, 'SyncStateInvalid', 'The sync state is invalid.');
    }
    if (s.serial < this.resetBelow) {
      // "Delta query can return a response code of 410 (gone) and a Location header containing a
      // request URL with an empty $deltaToken (same as the initial query)" (delta-query-overview,
      // "Synchronization reset"); resyncRequired: "The delta token is no longer valid, and the app
      // must reset the sync state" ("Microsoft Graph error responses").
      const q = new URLSearchParams(optionsQuery(s.options));
      q.set('$deltatoken', '');
      throw new GraphProblem(410, 'ResyncRequired', 'Resync required: restart the synchronization from the Location URL.', {
        location: `${this.origin()}/v1.0/users/${box.address}/mailFolders('${folder.id}')/messages/delta?${odataQuery(q)}`,
      });
    }
    if (s.serial < this.expiredBelow || s.generation <= s.stream.generation - this.syncStateGenerations) {
      // "In case of an expired token, the service should respond with a 40X-series error with
      // error codes such as syncStateNotFound" (delta-query-overview, "Token duration"); the wire
      // answer users report is 410 Gone with this message (microsoft-graph-docs#2350).
      const h = s.stream.generation;
      throw new GraphProblem(410, 'SyncStateNotFound', `The sync state generation is not found; generation=${s.generation};[highest=${h}][${h}][${h - 2}][${h - 1}].`);
    }
    return s;
  }

  // --- model -------------------------------------------------------------------------------

  private box(mailbox: string): Mailbox {
    const address = mailbox.toLowerCase();
    let box = this.boxes.get(address);
    if (box) return box;
    const rootId = newId('AQMkAD', 24);
    box = { address, rootId, folders: new Map(), byRestId: new Map(), byKey: new Map() };
    // msgfolderroot, the "Top of Information Store": the parent of the folders mail clients show.
    box.folders.set(rootId, blankFolder(rootId, 'Top of Information Store', newId('AQMkAD', 24), 'msgfolderroot', false));
    const root = this.root(box);
    for (const [wellKnown, name] of DEFAULT_FOLDERS) this.addFolder(box, root, name, wellKnown, false);
    this.boxes.set(address, box);
    return box;
  }

  private root(box: Mailbox): Folder {
    const root = box.folders.get(box.rootId);
    if (!root) throw new Error('mailbox without a root folder');
    return root;
  }

  private addFolder(box: Mailbox, parent: Folder, name: string, wellKnown: string | null, hidden: boolean): Folder {
    const folder = blankFolder(newId('AQMkAD', 24), name, parent.id, wellKnown, hidden);
    box.folders.set(folder.id, folder);
    parent.children.push(folder.id);
    return folder;
  }

  private wellKnown(box: Mailbox, name: string): Folder {
    const f = [...box.folders.values()].find((x) => x.wellKnownName === name);
    if (!f) throw new Error(`no ${name} folder`);
    return f;
  }

  /** A folder id or well-known name ("mailFolder resource type"), as in paths and destinationId. */
  private resolveFolder(box: Mailbox, idOrName: string): Folder {
    const byId = box.folders.get(idOrName);
    if (byId) return byId;
    const named = [...box.folders.values()].find((f) => f.wellKnownName !== null && f.wellKnownName === idOrName.toLowerCase());
    if (named) return named;
    throw wellFormed(idOrName) ? itemNotFound() : idMalformed();
  }

  /** Sorted by name, as the "List mailFolders" example is (the order itself is undocumented). */
  private childrenOf(box: Mailbox, folder: Folder, hidden: boolean): Folder[] {
    return folder.children
      .map((id) => box.folders.get(id))
      .filter((f): f is Folder => f !== undefined && (hidden || !f.isHidden))
      .sort((a, b) => a.displayName.localeCompare(b.displayName, 'en', { sensitivity: 'base' }));
  }

  private messageById(box: Mailbox, id: string): StoredMessage | undefined {
    return box.byRestId.get(id) ?? box.byKey.get(id);
  }

  /**
   * By default id or immutable id: identifiers "are case-sensitive" (outlook-immutable-id); a
   * default id from before a move no longer finds the message. Whether Graph takes an immutable id
   * without the Prefer header is not said; the stand-in does (Exchange ids name their kind).
   */
  private findMessage(box: Mailbox, id: string): StoredMessage {
    const m = this.messageById(box, id);
    if (m) return m;
    throw wellFormed(id) ? itemNotFound() : idMalformed();
  }

  private touch(m: StoredMessage): void {
    m.version++;
    m.modifiedAt = new Date();
  }

  private log(folder: Folder, m: StoredMessage, kind: EventKind, fields: readonly string[]): void {
    folder.log.push({ seq: ++this.seq, key: m.key, kind, fields, restId: m.restId });
  }

  private need(req: MailRequest, anyOf: readonly string[]): void {
    if (!anyOf.some((r) => req.roles.includes(r))) throw accessDenied();
  }

  private renderFolder(box: Mailbox, f: Folder, select: readonly string[] | null): Record<string, unknown> {
    const all: Record<(typeof FOLDER_PROPS)[number], unknown> = {
      id: f.id,
      displayName: f.displayName,
      parentFolderId: f.parentId,
      childFolderCount: f.children.filter((id) => box.folders.has(id)).length,
      unreadItemCount: unread(f),
      totalItemCount: f.items.size,
      isHidden: f.isHidden,
    };
    if (!select) return { ...all };
    return Object.fromEntries(FOLDER_PROPS.filter((p) => p === 'id' || select.includes(p)).map((p) => [p, all[p]]));
  }

  private renderMessage(m: StoredMessage, props: readonly string[] | null, immutable: boolean, typed: boolean): Record<string, unknown> {
    const id = immutable ? m.key : m.restId;
    const out: Record<string, unknown> = {};
    if (typed) out['@odata.type'] = '#microsoft.graph.message';
    const changeKey = Buffer.from(`${m.key}.${m.version}`).toString('base64').slice(-40);
    out['@odata.etag'] = `W/"${changeKey}"`;
    out.id = id;
    for (const p of props ?? DEFAULT_MESSAGE_PROPS) {
      if (p === 'id') continue;
      out[p] = this.property(m, p, id, changeKey);
    }
    return out;
  }

  private property(m: StoredMessage, p: string, id: string, changeKey: string): unknown {
    switch (p) {
      case 'createdDateTime':
        return graphTime(m.receivedAt);
      case 'lastModifiedDateTime':
        return graphTime(m.modifiedAt);
      case 'changeKey':
        return changeKey;
      case 'categories':
        return [];
      case 'receivedDateTime':
        return graphTime(m.receivedAt);
      case 'sentDateTime':
        return graphTime(m.sentAt ?? m.receivedAt);
      case 'hasAttachments':
        return m.hasAttachments;
      case 'internetMessageId':
        return m.internetMessageId;
      case 'subject':
        return m.subject;
      case 'importance':
        return m.importance;
      case 'parentFolderId':
        return m.folderId;
      case 'conversationId':
        return m.conversationId;
      case 'isDeliveryReceiptRequested':
        return null;
      case 'isReadReceiptRequested':
        return m.readReceiptRequested;
      case 'isRead':
        return m.isRead;
      case 'isDraft':
        return false;
      case 'webLink':
        return `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(id)}&exvsurl=1&viewmodel=ReadMessageItem`;
      case 'inferenceClassification':
        return 'focused';
      case 'sender':
        return m.sender;
      case 'from':
        return m.from;
      case 'toRecipients':
        return m.to;
      case 'ccRecipients':
        return m.cc;
      case 'bccRecipients':
        return [];
      case 'replyTo':
        return m.replyTo;
      case 'flag':
        return { flagStatus: 'notFlagged' };
      case 'internetMessageHeaders':
        // "A key-value pair that represents an Internet message header, as defined by RFC5322"
        // ("internetMessageHeader resource type"): the top-level headers as received, unfolded.
        return m.headers.map((h) => ({ name: h.name, value: h.value }));
      default:
        return null;
    }
  }
}

// --- query options -------------------------------------------------------------------------

/** A system query option with or without its $, any case (Graph v1.0 takes both). */
function param(q: URLSearchParams, name: string): string | null {
  for (const [k, v] of q) if (k.toLowerCase().replace(/^\$/, '') === name) return v;
  return null;
}

function intParam(q: URLSearchParams, name: string): number | null {
  const v = param(q, name);
  if (v === null) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new GraphProblem(400, 'BadRequest', `Invalid value '${v}' for $${name}.`);
  return n;
}

const clamp = (n: number) => Math.max(1, Math.min(MAX_PAGE_SIZE, n));

function selectMessage(q: URLSearchParams): string[] | null {
  const raw = param(q, 'select');
  if (raw === null) return null;
  const out: string[] = ['id'];
  for (const asked of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const p = MESSAGE_PROPS.find((x) => x.toLowerCase() === asked.toLowerCase());
    if (p) {
      if (!out.includes(p)) out.push(p);
      continue;
    }
    if (UNMODELLED_PROPS.some((x) => x.toLowerCase() === asked.toLowerCase())) {
      throw new GraphProblem(400, 'BadRequest', `the stand-in does not model the message property '${asked}'`);
    }
    throw new GraphProblem(400, 'RequestBroker--ParseUri', `Could not find a property named '${asked}' on type 'microsoft.graph.message'.`);
  }
  return out;
}

function selectFolder(q: URLSearchParams): string[] | null {
  const raw = param(q, 'select');
  if (raw === null) return null;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((asked) => {
      const p = FOLDER_PROPS.find((x) => x.toLowerCase() === asked.toLowerCase());
      if (!p) throw new GraphProblem(400, 'RequestBroker--ParseUri', `Could not find a property named '${asked}' on type 'microsoft.graph.mailFolder'.`);
      return p;
    });
}

/** The options of a first delta request ("message: delta", query parameters; delta-query-messages). */
function deltaOptions(q: URLSearchParams): DeltaOptions {
  if (param(q, 'search') !== null) throw new GraphProblem(400, 'BadRequest', 'There is no support for $search in a delta query.');
  if (param(q, 'expand') !== null) throw new GraphProblem(400, 'BadRequest', 'the stand-in does not model $expand on delta');
  // $select "as in any GET request"; whether internetMessageHeaders may be selected on delta is not
  // said, but users select it and get it on the first round (microsoft-graph-docs#7776).
  const select = selectMessage(q);
  let filter: DeltaOptions['filter'] = null;
  const f = param(q, 'filter');
  if (f !== null) {
    // "The only supported $filter expressions are $filter=receivedDateTime+ge+{value} or
    // $filter=receivedDateTime+gt+{value}." The value is an OData DateTimeOffset, unquoted.
    const m = /^\s*receivedDateTime\s+(ge|gt)\s+(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2}))\s*$/i.exec(f);
    const at = m ? Date.parse(m[2] ?? '') : NaN;
    if (!m || Number.isNaN(at)) throw new GraphProblem(400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
    filter = { op: (m[1] ?? 'ge').toLowerCase() === 'gt' ? 'gt' : 'ge', at, text: f.trim() };
  }
  const o = param(q, 'orderby');
  // "The only supported $orderby expression is $orderby=receivedDateTime+desc."
  if (o !== null && !/^\s*receivedDateTime\s+desc\s*$/i.test(o)) throw new GraphProblem(400, 'BadRequest', 'The only supported $orderby expression on delta is receivedDateTime desc.');
  const c = param(q, 'changetype');
  const changeType = c === null ? null : CHANGE_TYPES.find((t) => t === c);
  if (changeType === undefined) throw new GraphProblem(400, 'BadRequest', `Invalid changeType '${c ?? ''}': supported values are created, updated or deleted.`);
  // "Delta query support $select, $top, and $expand for messages", but $top on message delta does
  // not size the pages: users get pages of 10 up to $top messages in the round, then the deltaLink
  // (microsoft-graph-docs#2232, #6006; bkaankose/Wino-Mail#716). The rest of the folder is never
  // returned. The stand-in does that, in every round.
  const top = intParam(q, 'top');
  return { select, filter, orderDesc: o !== null, changeType, top: top === null ? null : Math.max(1, top) };
}

/** "A custom query filter … Supported values are created, updated or deleted." (message: delta) */
const CHANGE_TYPES = ['created', 'updated', 'deleted'] as const;

/** The options as a query string again (the Location of a reset). */
function optionsQuery(o: DeltaOptions): Record<string, string> {
  const q: Record<string, string> = {};
  if (o.changeType) q.changeType = o.changeType;
  // id is always returned, asked for or not ("The id property is always returned").
  if (o.select) q.$select = o.select.filter((p) => p !== 'id').join(',') || 'id';
  if (o.filter) q.$filter = o.filter.text;
  if (o.orderDesc) q.$orderby = 'receivedDateTime desc';
  if (o.top !== null) q.$top = String(o.top);
  return q;
}

/** URLSearchParams would write $ as %24 and , as %2C; Graph writes its links with them bare. */
const odataQuery = (q: URLSearchParams) => q.toString().replace(/%24/g, '$').replace(/%2C/gi, ',');

const capped = <T>(entries: T[], top: number | null) => (top === null ? entries : entries.slice(0, top));
const isDelta = (s: string) => s === 'delta' || s === 'microsoft.graph.delta';
const newestFirst = (a: StoredMessage, b: StoredMessage) => b.receivedAt.getTime() - a.receivedAt.getTime();
const unread = (f: Folder) => [...f.items.values()].filter((m) => !m.isRead).length;

/** The first log index after the watermark (the log is in seq order). */
function firstAfter(log: FolderEvent[], watermark: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((log[mid]?.seq ?? Infinity) <= watermark) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Path segments, with OData key syntax spread out: mailFolders('x') → mailFolders, x; delta() → delta. */
function segments(rest: string): string[] {
  const out: string[] = [];
  for (const raw of rest.split('/')) {
    if (!raw) continue;
    let s = raw;
    try {
      s = decodeURIComponent(raw);
    } catch {
      // keep it as sent
    }
    const keyed = /^([^()]+)\('(.*)'\)$/.exec(s);
    if (keyed) out.push(keyed[1] ?? '', keyed[2] ?? '');
    else out.push(s.replace(/\(\)$/, ''));
  }
  return out;
}

function json<T>(body: Buffer): T {
  try {
    const v: unknown = JSON.parse(body.toString('utf8') || '{}');
    if (v && typeof v === 'object') return v as T;
  } catch {
    // answered below
  }
  throw new GraphProblem(400, 'BadRequest', 'Unable to read JSON request payload.');
}

// --- ids and times -------------------------------------------------------------------------

/** Shaped like Outlook's base64 ids: AAMkAD… messages, AAkALgAA… immutable ids, AQMkAD… folders. */
function newId(prefix: string, bytes: number): string {
  return `${prefix}${crypto.randomBytes(bytes).toString('base64url')}AAA=`;
}

/** What could be an Outlook id (anything else, a misspelt well-known name say, is malformed). */
const wellFormed = (s: string) => /^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(s);

/** Graph's DateTimeOffset as Outlook writes it: to the second, in UTC. */
export const graphTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function blankFolder(id: string, displayName: string, parentId: string, wellKnownName: string | null, isHidden: boolean): Folder {
  return { id, displayName, parentId, wellKnownName, isHidden, children: [], items: new Map(), log: [] };
}

// --- headers -------------------------------------------------------------------------------
// Cheap by design: seeding thousands of messages must not parse each MIME body.

/** The top-level header fields, unfolded (RFC 5322 2.2.3: the CRLF goes, the whitespace stays). */
export function parseHeaderBlock(mime: Buffer): RawHeader[] {
  const crlf = mime.indexOf('\r\n\r\n');
  const lf = mime.indexOf('\n\n');
  const end = crlf < 0 ? (lf < 0 ? mime.length : lf) : lf >= 0 && lf < crlf ? lf : crlf;
  const headers: RawHeader[] = [];
  let last: RawHeader | undefined;
  for (const line of mime.subarray(0, end).toString('utf8').split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (last) last.value += line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).replace(/^[ \t]+/, '') };
    headers.push(last);
  }
  for (const h of headers) h.value = h.value.trimEnd();
  return headers;
}

/** RFC 2047 encoded words, as Outlook shows subjects and display names. */
export function decodeWords(value: string): string {
  const joined = value.replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?)/g, '$1');
  return joined.replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (whole, charset: string, enc: string, text: string) => {
    const bytes =
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    try {
      return new TextDecoder(charset.replace(/\*.*$/, '')).decode(bytes);
    } catch {
      return whole;
    }
  });
}

/** An address list as Graph recipients; a bare address is its own name, as Outlook shows it. */
export function parseAddresses(value: string): Recipient[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  let comment = 0;
  for (const ch of value) {
    if (ch === '"' && comment === 0) quoted = !quoted;
    else if (!quoted && ch === '<') angle++;
    else if (!quoted && ch === '>') angle = Math.max(0, angle - 1);
    else if (!quoted && ch === '(') comment++;
    else if (!quoted && ch === ')') comment = Math.max(0, comment - 1);
    if (ch === ',' && !quoted && angle === 0 && comment === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const out: Recipient[] = [];
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    const angled = /^(.*)<([^>]*)>\s*(?:\(.*\))?$/.exec(part);
    let address: string;
    let name: string;
    if (angled) {
      address = (angled[2] ?? '').trim();
      name = (angled[1] ?? '').trim().replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
    } else {
      address = part.replace(/\([^)]*\)/g, '').trim();
      name = /\(([^)]*)\)/.exec(part)?.[1]?.trim() ?? '';
    }
    if (!address) continue;
    out.push({ emailAddress: { name: decodeWords(name) || address, address } });
  }
  return out;
}

/** The Message-ID field's msg-id, angle brackets kept (internetMessageId keeps them). */
export function messageIdOf(value: string | undefined): string | null {
  if (!value) return null;
  return /<[^>]+>/.exec(value)?.[0] ?? (value.trim() || null);
}
