// The postmaster's mailbox through Microsoft Graph: the Inbox's delta query (only what changed since
// the last delta link), each report's MIME through $value, and move into Postroom's folders. Needs
// Mail.ReadWrite, which the Graph guide already grants; shares the mailbox's four request slots.
import { GraphClient, parseJson, withSlot, type HttpsAnswer, type MailboxSlots, type TokenProvider } from '../transports/index.js';
import { MailboxError, PARENT_FOLDER, type FetchedMessage, type MailboxEntry, type MailboxSession, type ReportFolder } from './mailbox.js';
import { SCREENING_HEADERS } from './report.js';

export interface GraphMailboxOptions {
  graphUrl: string;
  scope: string;
  provider: TokenProvider;
  ca?: string | string[] | undefined;
  mailbox: string;
  slots: MailboxSlots;
  pageSize?: number;
}

interface GraphMessage {
  id?: string;
  subject?: string;
  from?: { emailAddress?: { address?: string; name?: string } };
  internetMessageHeaders?: { name?: string; value?: string }[];
  '@removed'?: unknown;
}

interface GraphFolder {
  id?: string;
  displayName?: string;
}

/** What a Graph refusal on the mailbox means, and what fixes it. */
function graphProblem(answer: HttpsAnswer, step: string, mailbox: string): MailboxError {
  const error = (parseJson(answer.body) as { error?: { code?: string; message?: string } } | null)?.error;
  const said = `${answer.status}${error?.code ? ` ${error.code}` : ''}${error?.message ? `: ${error.message}` : ''}`;
  const advice =
    answer.status === 403 || error?.code === 'ErrorAccessDenied'
      ? `: give the app registration the Mail.ReadWrite application permission of Microsoft Graph with admin consent (and include ${mailbox} in any application access policy or RBAC scope)`
      : error?.code === 'ErrorInvalidUser' || error?.code === 'MailboxNotEnabledForRESTAPI'
        ? `: ${mailbox} must be a licensed Exchange Online mailbox of the tenant`
        : '';
  return new MailboxError(`Microsoft Graph refused ${step} of ${mailbox} (${said})${advice}`);
}

export async function openGraphMailbox(o: GraphMailboxOptions): Promise<MailboxSession> {
  const graph = new GraphClient({ graphUrl: o.graphUrl, scope: o.scope, provider: o.provider, ca: o.ca });
  const user = `/users/${encodeURIComponent(o.mailbox)}`;
  const call = (method: string, path: string, body?: unknown, extra?: { headers?: Record<string, string>; maxBodyBytes?: number }) =>
    withSlot(o.slots, o.mailbox.toLowerCase(), () => graph.call(method, path, body === undefined ? undefined : JSON.stringify(body), 'application/json', extra));

  let inbox = await call('GET', `${user}/mailFolders/inbox?$select=id`);
  if (inbox.status === 403) {
    // A permission granted since is only in a new token: one more try with one.
    o.provider.invalidate(o.scope);
    inbox = await call('GET', `${user}/mailFolders/inbox?$select=id`);
  }
  if (inbox.status !== 200) throw graphProblem(inbox, 'reading the Inbox', o.mailbox);

  /** A child folder of `parentPath` named `name`, created when missing (a race with another instance is a 409: look again). */
  const folder = async (parentPath: string, name: string): Promise<string> => {
    const find = async () => {
      const listed = await call('GET', `${parentPath}?$top=100&$select=id,displayName&$filter=${encodeURIComponent(`displayName eq '${name}'`)}`);
      if (listed.status !== 200) throw graphProblem(listed, `listing the folders`, o.mailbox);
      return ((parseJson(listed.body) as { value?: GraphFolder[] } | null)?.value ?? []).find((f) => f.displayName === name)?.id ?? null;
    };
    const found = await find();
    if (found) return found;
    const made = await call('POST', parentPath, { displayName: name });
    if (made.status === 201) {
      const id = (parseJson(made.body) as GraphFolder | null)?.id;
      if (id) return id;
    }
    if (made.status === 409) {
      const again = await find();
      if (again) return again;
    }
    throw graphProblem(made, `creating the folder ${name}`, o.mailbox);
  };
  const parent = await folder(`${user}/mailFolders`, PARENT_FOLDER);
  const folders: Record<ReportFolder, string> = {
    Processed: await folder(`${user}/mailFolders/${encodeURIComponent(parent)}/childFolders`, 'Processed'),
    Unmatched: await folder(`${user}/mailFolders/${encodeURIComponent(parent)}/childFolders`, 'Unmatched'),
  };
  const pageSize = o.pageSize ?? 250;

  return {
    async page(cursor) {
      // The first round of a delta query lists the folder; later rounds, only what changed. No
      // $filter on the received date: with one, a round returns at most 5,000 messages ("Get
      // incremental changes to messages in a folder"), and a report among the older ones would
      // never be seen. Only a few headers per message are listed; reports alone are downloaded.
      const start = `${user}/mailFolders/inbox/messages/delta?$select=${encodeURIComponent('subject,from,internetMessageHeaders')}`;
      const prefer = { headers: { prefer: `odata.maxpagesize=${pageSize}` } };
      let answer = await call('GET', cursor ?? start, undefined, prefer);
      // A sync state Graph no longer knows: start a new round (recorded reports are recognised).
      if (cursor && (answer.status === 410 || answer.status === 404 || (answer.status === 400 && /SyncState|delta/i.test(answer.body.toString('utf8'))))) {
        answer = await call('GET', start, undefined, prefer);
      }
      if (answer.status !== 200) throw graphProblem(answer, 'listing new messages', o.mailbox);
      const page = parseJson(answer.body) as { value?: GraphMessage[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string } | null;
      const entries: MailboxEntry[] = [];
      for (const m of page?.value ?? []) {
        if (!m.id || m['@removed'] !== undefined) continue;
        entries.push({ ref: m.id, headers: screeningHeaders(m), size: null });
      }
      const next = page?.['@odata.nextLink'];
      const delta = page?.['@odata.deltaLink'];
      if (!next && !delta) throw new MailboxError('Microsoft Graph answered the delta query without a next or delta link');
      return { entries, cursor: (next ?? delta) as string, done: !next };
    },
    async fetch(ref, maxBytes): Promise<FetchedMessage> {
      const answer = await call('GET', `${user}/messages/${encodeURIComponent(ref)}/$value`, undefined, { maxBodyBytes: maxBytes });
      if (answer.status !== 200) throw graphProblem(answer, `reading message ${ref}`, o.mailbox);
      return { raw: answer.body, truncated: answer.truncated === true };
    },
    async move(refs, to) {
      for (const ref of refs) {
        const answer = await call('POST', `${user}/messages/${encodeURIComponent(ref)}/move`, { destinationId: folders[to] });
        // Already moved (by another check that crashed before saving its cursor): nothing to do.
        if (answer.status === 404) continue;
        if (answer.status !== 201 && answer.status !== 200) throw graphProblem(answer, `moving a report to ${PARENT_FOLDER}/${to}`, o.mailbox);
      }
    },
    async close() {},
  };
}

/** The screening headers from Graph's internetMessageHeaders, else from its own properties. */
function screeningHeaders(m: GraphMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const wanted = new Set<string>(SCREENING_HEADERS);
  for (const h of m.internetMessageHeaders ?? []) {
    const name = h.name?.toLowerCase();
    if (name && wanted.has(name) && !(name in out)) out[name] = h.value ?? '';
  }
  if (!out.subject && m.subject) out.subject = m.subject;
  if (!out.from && m.from?.emailAddress?.address) out.from = `<${m.from.emailAddress.address}>`;
  return out;
}
