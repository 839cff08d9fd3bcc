// The postmaster's mailbox over IMAP (imapflow): TLS from the first byte on 993, STARTTLS required
// on any other port; a password, or XOAUTH2 with an app token (Exchange Online). The cursor is the
// INBOX's UIDVALIDITY and the last UID read, so a check reads only what arrived since the last one.
import net from 'node:net';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import { MailboxError, PARENT_FOLDER, type FetchedMessage, type MailboxEntry, type MailboxPage, type MailboxSession, type ReportFolder } from './mailbox.js';
import { SCREENING_HEADERS } from './report.js';

export interface ImapMailboxOptions {
  host: string;
  port: number;
  implicitTls: boolean;
  user: string;
  /** A password, or a function that gives an OAuth token (XOAUTH2). */
  secret: { password: string } | { token: () => Promise<string> };
  /** The CAs to trust (the SMTP route's: the system's plus smtpCaCertificate). */
  ca?: string | string[] | undefined;
  timeoutMs?: number;
  /** How many UIDs one listing asks about. */
  pageSize?: number;
}

/** Exchange Online answers a refused app token with this; its causes, for the administrator. */
export const EXCHANGE_IMAP_HELP =
  'with OAuth, check that the app has the IMAP.AccessAsApp application permission of Office 365 Exchange Online with admin consent, ' +
  'that its service principal is registered in Exchange Online (New-ServicePrincipal -AppId <client ID> -ObjectId <Enterprise application object ID>), ' +
  'and that it has FullAccess on the mailbox (Add-MailboxPermission -Identity <mailbox> -User <service principal ID> -AccessRights FullAccess)';

interface ImapError {
  message?: string;
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  responseText?: string;
  serverResponseCode?: string;
}

export async function openImapMailbox(o: ImapMailboxOptions): Promise<MailboxSession> {
  const where = `${o.host}:${o.port}`;
  const timeout = o.timeoutMs ?? 30_000;
  const auth = 'password' in o.secret ? { user: o.user, pass: o.secret.password } : { user: o.user, accessToken: await o.secret.token() };
  const options: ImapFlowOptions = {
    host: o.host,
    port: o.port,
    secure: o.implicitTls,
    // Never a password over a connection that STARTTLS did not upgrade (the SMTP route's rule).
    ...(o.implicitTls ? {} : { doSTARTTLS: true }),
    auth,
    tls: { servername: net.isIP(o.host) ? undefined : o.host, minVersion: 'TLSv1.2', ...(o.ca ? { ca: o.ca } : {}), rejectUnauthorized: true },
    logger: false,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: 4 * timeout,
    // The largest answer Postroom asks for is one message's first bytes (see BouncesChecker).
    maxLiteralSize: 8 * 1024 * 1024,
    maxResponseSize: 64 * 1024 * 1024,
    disableAutoIdle: true,
  };
  // Loaded when a mailbox is opened: every `postroom` command would otherwise pay for it at start-up.
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow(options);
  // An error after connect (the server hanging up) must not crash the process; the next command fails.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const e = err as ImapError;
    throw new MailboxError(explain(e, where, 'accessToken' in auth), Boolean(e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED'));
  }
  try {
    const inbox = await client.mailboxOpen('INBOX');
    const folders = await ensureFolders(client);
    return new ImapSession(client, folders, String(inbox.uidValidity), o.pageSize ?? 500);
  } catch (err) {
    await client.logout().catch(() => client.close());
    throw new MailboxError(`the mailbox ${o.user} on ${where} cannot be used: ${message(err as ImapError)}`);
  }
}

/** Postroom/Processed and Postroom/Unmatched, created when missing, with the server's own separator. */
async function ensureFolders(client: ImapFlow): Promise<Record<ReportFolder, string>> {
  const list = await client.list();
  const delimiter = list.find((f) => f.path.toUpperCase() === 'INBOX')?.delimiter ?? list[0]?.delimiter ?? '/';
  const existing = new Set(list.map((f) => f.path));
  const out = {} as Record<ReportFolder, string>;
  for (const name of ['Processed', 'Unmatched'] as const) {
    const path = `${PARENT_FOLDER}${delimiter}${name}`;
    if (!existing.has(path)) await client.mailboxCreate([PARENT_FOLDER, name]);
    out[name] = path;
  }
  return out;
}

class ImapSession implements MailboxSession {
  constructor(
    private readonly client: ImapFlow,
    private readonly folders: Record<ReportFolder, string>,
    private readonly uidValidity: string,
    private readonly pageSize: number,
  ) {}

  async page(cursor: string | null, sinceDays: number): Promise<MailboxPage> {
    const [validity, last] = (cursor ?? '').split(':');
    // A new UIDVALIDITY means the UIDs were renumbered: read the mailbox again (reports already
    // recorded are recognised; the others were moved out of INBOX).
    let after = validity === this.uidValidity && last ? Number(last) : null;
    if (after === null) {
      // The first check reads what arrived within the retention period, not years of mail.
      const since = new Date(Date.now() - sinceDays * 86_400_000);
      const uids = (await this.client.search({ since }, { uid: true })) || [];
      after = uids.length ? uids.reduce((a, b) => Math.min(a, b)) - 1 : Number((this.client.mailbox && this.client.mailbox.uidNext) ?? 1) - 1;
    }
    // A window of UIDs, not "n:*": the server would send the headers of every later message at
    // once (100,000 of them on a first check), and "n:*" names the last message even below n.
    const uidNext = Number(this.client.mailbox ? this.client.mailbox.uidNext : after + 1);
    const upper = after + this.pageSize;
    const entries: MailboxEntry[] = [];
    let highest = after;
    for await (const m of this.client.fetch(`${after + 1}:${upper}`, { uid: true, size: true, headers: [...SCREENING_HEADERS] }, { uid: true })) {
      if (m.uid <= after || m.uid > upper) continue;
      entries.push({ ref: String(m.uid), headers: parseHeaders(m.headers), size: m.size ?? null });
      highest = Math.max(highest, m.uid);
    }
    // Every UID of the window was answered for: the next page starts after it, or after the last
    // UID the mailbox had given when it was opened (mail arriving since is the next check's).
    const done = upper >= uidNext - 1;
    const next = Math.max(highest, Math.min(upper, uidNext - 1));
    return { entries, cursor: `${this.uidValidity}:${next}`, done };
  }

  async fetch(ref: string, maxBytes: number): Promise<FetchedMessage> {
    // BODY.PEEK: reading a report never marks it read.
    const m = await this.client.fetchOne(ref, { uid: true, size: true, source: { maxLength: maxBytes } }, { uid: true });
    if (!m || !m.source) throw new MailboxError(`message ${ref} is no longer in the mailbox`);
    return { raw: m.source, truncated: (m.size ?? 0) > m.source.length };
  }

  async move(refs: string[], folder: ReportFolder): Promise<void> {
    if (refs.length === 0) return;
    await this.client.messageMove(refs.join(','), this.folders[folder], { uid: true });
  }

  async close(): Promise<void> {
    await this.client.logout().catch(() => this.client.close());
  }
}

function parseHeaders(raw: Buffer | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  let last: string | null = null;
  for (const line of raw.toString('utf8').split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      out[last] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    if (!(last in out)) out[last] = line.slice(colon + 1).trim();
    else last = null;
  }
  return out;
}

function message(err: ImapError): string {
  return (err.responseText || err.message || String(err)).split(/\r?\n/)[0] ?? '';
}

/** A connection or sign-in failure in words that say what to fix. */
function explain(err: ImapError, where: string, oauth: boolean): string {
  const text = message(err);
  if (err.authenticationFailed || err.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return `the IMAP server ${where} refused the sign-in (${text})${oauth ? `: ${EXCHANGE_IMAP_HELP}` : ': check IMAP user and IMAP password (for Google, an app password)'}`;
  }
  // A failed handshake after STARTTLS is a tlsFailed too: the certificate is told apart first.
  if (/self[- ]signed|unable to verify|unable to get local issuer|certificate/i.test(text) || /CERT|SELF_SIGNED|UNABLE_TO/.test(err.code ?? '')) {
    return `the IMAP server ${where}'s certificate is not trusted (${text}): for a private CA, paste its certificate in "SMTP server's CA certificate"`;
  }
  if (err.tlsFailed) return `${where} does not offer STARTTLS, so Postroom did not sign in: use port 993 (implicit TLS), or a server that offers STARTTLS`;
  if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EHOSTUNREACH' || /TIMEOUT/.test(err.code ?? '')) {
    return `cannot reach the IMAP server ${where} (${err.code}): check IMAP host and IMAP port`;
  }
  return `cannot read the mailbox on ${where}: ${text}`;
}
