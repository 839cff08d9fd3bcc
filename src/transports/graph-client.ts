// Microsoft Graph calls for the mail routes: the app token on every call (one more try with a
// fresh token after a 401), drafts made from MIME, small files POSTed to the draft, files of 3 MB
// and more through upload sessions, and Graph's errors read into advice and a route/message scope.
import type { OutgoingAttachment, OutgoingMessage } from '../mail/index.js';
import { UPLOAD_SESSION_MIN_BYTES, UPLOAD_SESSION_MAX_BYTES } from '../settings/index.js';
import { DeliveryError } from './route.js';
import { httpsRequest, parseJson, type HttpsAnswer } from './https.js';
import { buildMime } from './mime.js';
import { UNTRUSTED, UNTRUSTED_MICROSOFT_HINT } from './trust.js';
import type { TokenProvider } from './oauth.js';

/**
 * Graph's limit on one request's body for Outlook resources (4 MB: "Attach large files to Outlook
 * messages or events", "attachment: createUploadSession" — ranges of up to 4 MB).
 */
export const GRAPH_REQUEST_LIMIT = 4 * 1024 * 1024;
/** Room kept under the limit for the JSON or MIME framing Postroom does not count byte by byte. */
const MARGIN = 64 * 1024;
const UPLOAD_CHUNK = 12 * 320 * 1024;

export interface GraphConfig {
  graphUrl: string;
  scope: string;
  provider: TokenProvider;
  ca?: string | string[] | undefined;
  /** False in clouds without Outlook upload sessions (US Government L4/L5). */
  uploadSessions?: boolean;
}

export interface Draft {
  id: string;
  webLink: string | null;
  /** The Message-ID Exchange gave the draft (it keeps the one in the MIME, else makes its own). */
  internetMessageId: string | null;
  /** Path of the draft below /v1.0, for further calls. */
  path: string;
}

/** How each file of a message reaches Graph. */
export interface AttachmentPlan {
  /** Inside the MIME of sendMail or of the draft, while that request stays under 4 MB. */
  inMime: OutgoingAttachment[];
  /** Under 3 MB but with no room left in the MIME: POST …/messages/{id}/attachments, one each. */
  posted: OutgoingAttachment[];
  /** 3 MB to 150 MB: an upload session each. */
  sessions: OutgoingAttachment[];
}

export const needsDraft = (plan: AttachmentPlan) => plan.posted.length > 0 || plan.sessions.length > 0;

/** Base64 of the MIME, as Graph receives it. */
const requestSize = async (message: OutgoingMessage, files: OutgoingAttachment[]) => Math.ceil((await buildMime(message, { keepBcc: true, attachments: files })).length / 3) * 4;

/** Files of 3 MB and more to upload sessions; of the rest, the smallest stay in the MIME while it fits. */
export async function planAttachments(message: OutgoingMessage): Promise<AttachmentPlan> {
  const sessions = message.attachments.filter((a) => a.content.length >= UPLOAD_SESSION_MIN_BYTES);
  const rest = message.attachments.filter((a) => a.content.length < UPLOAD_SESSION_MIN_BYTES).sort((a, b) => a.content.length - b.content.length);
  const budget = GRAPH_REQUEST_LIMIT - MARGIN;
  const inMime: OutgoingAttachment[] = [];
  const posted: OutgoingAttachment[] = [];
  // Estimate first (base64 with line breaks, plus part headers), then check on the real MIME.
  let estimate = await requestSize(message, []);
  for (const file of rest) {
    const cost = Math.ceil((Math.ceil(file.content.length / 3) * 4 * 78) / 76 * (4 / 3)) + 1024;
    if (estimate + cost <= budget) {
      inMime.push(file);
      estimate += cost;
    } else {
      posted.push(file);
    }
  }
  while (inMime.length && (await requestSize(message, inMime)) > budget) posted.unshift(inMime.pop() as OutgoingAttachment);
  return { inMime, posted, sessions };
}

/** Who a Graph failure is about: the postmaster's mailbox makes it the route's failure. */
export interface FailureContext {
  mailbox: string;
  /** The mailbox every e-mail goes through (the postmaster, or the drafts mailbox). */
  routeMailbox?: string | undefined;
}

export class GraphClient {
  constructor(private readonly config: GraphConfig) {}

  /**
   * One Graph request with the app token (a fresh one after a 401). `path` is below /v1.0, or a
   * whole URL Graph gave (a delta or next link), which must be on the Graph host: the token goes nowhere else.
   */
  async call(
    method: string,
    path: string,
    body: string | undefined,
    contentType = 'application/json',
    extra: { headers?: Record<string, string>; maxBodyBytes?: number } = {},
  ): Promise<HttpsAnswer> {
    const url = /^https:\/\//i.test(path) ? path : `${this.config.graphUrl}/v1.0${path}`;
    if (new URL(url).origin !== new URL(this.config.graphUrl).origin) {
      throw new DeliveryError(`Microsoft Graph gave a link to another host (${new URL(url).host}): not followed`, 'transient', 'message');
    }
    for (let attempt = 0; ; attempt++) {
      const token = await this.config.provider.getToken(this.config.scope, { forceRefresh: attempt > 0 });
      const answer = await httpsRequest(url, {
        method,
        headers: { ...extra.headers, authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': Buffer.byteLength(body ?? '') },
        ...(body !== undefined ? { body } : {}),
        ca: this.config.ca,
        ...(extra.maxBodyBytes !== undefined ? { maxBodyBytes: extra.maxBodyBytes } : {}),
      }).catch((err: Error) => {
        throw new DeliveryError(`cannot reach Microsoft Graph: ${err.message}${UNTRUSTED.test(err.message) ? ` (${UNTRUSTED_MICROSOFT_HINT})` : ''}`, 'transient', 'route');
      });
      if (answer.status === 401 && attempt === 0) {
        this.config.provider.invalidate(this.config.scope, token);
        continue;
      }
      return answer;
    }
  }

  /** A draft in `mailbox` holding the message; the files that did not fit are added after it is made. */
  async createDraft(mailbox: string, message: OutgoingMessage, plan: AttachmentPlan, context: FailureContext = { mailbox }): Promise<Draft> {
    if (plan.sessions.length && this.config.uploadSessions === false) {
      const names = plan.sessions.map((f) => f.filename).join(', ');
      throw new DeliveryError(`${names}: files of 3 MB or more need Graph upload sessions, which this Microsoft cloud does not offer`, 'permanent', 'message');
    }
    const tooBig = plan.sessions.find((f) => f.content.length > UPLOAD_SESSION_MAX_BYTES);
    if (tooBig) throw new DeliveryError(`${tooBig.filename} is over Graph's 150 MB limit per file`, 'permanent', 'message');
    const mime = (await buildMime(message, { keepBcc: true, attachments: plan.inMime })).toString('base64');
    const user = `/users/${encodeURIComponent(mailbox)}`;
    const created = await this.call('POST', `${user}/messages`, mime, 'text/plain');
    if (created.status !== 201) throw graphFailure(created, 'creating the draft', context);
    const resource = parseJson(created.body) as { id?: string; webLink?: string; internetMessageId?: string } | null;
    if (!resource?.id) throw new DeliveryError('Microsoft Graph created the draft without an id', 'transient', 'message');
    const draft: Draft = {
      id: resource.id,
      webLink: resource.webLink ?? null,
      internetMessageId: resource.internetMessageId ?? null,
      path: `${user}/messages/${encodeURIComponent(resource.id)}`,
    };
    try {
      for (const file of plan.posted) await this.attachSmall(draft, file, context);
      for (const file of plan.sessions) await this.attachLarge(draft, file, context);
    } catch (err) {
      await this.call('DELETE', draft.path, undefined).catch(() => undefined);
      throw err;
    }
    return draft;
  }

  /** A file under 3 MB as a fileAttachment ("message: add attachment"): its request stays under 4 MB. */
  private async attachSmall(draft: Draft, file: OutgoingAttachment, context: FailureContext): Promise<void> {
    const body = JSON.stringify({
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: file.filename,
      contentType: file.contentType,
      contentBytes: file.content.toString('base64'),
      ...(file.contentId ? { isInline: true, contentId: file.contentId } : {}),
    });
    const answer = await this.call('POST', `${draft.path}/attachments`, body);
    if (answer.status !== 201) throw graphFailure(answer, `attaching ${file.filename}`, context);
  }

  private async attachLarge(draft: Draft, file: OutgoingAttachment, context: FailureContext): Promise<void> {
    const item = {
      AttachmentItem: {
        attachmentType: 'file',
        name: file.filename,
        size: file.content.length,
        contentType: file.contentType,
        ...(file.contentId ? { isInline: true, contentId: file.contentId } : {}),
      },
    };
    const session = await this.call('POST', `${draft.path}/attachments/createUploadSession`, JSON.stringify(item));
    if (session.status !== 201 && session.status !== 200) throw graphFailure(session, `upload session for ${file.filename}`, context);
    const uploadUrl = (parseJson(session.body) as { uploadUrl?: string } | null)?.uploadUrl;
    if (!uploadUrl) throw new DeliveryError('Microsoft Graph gave no upload URL', 'transient', 'message');
    const total = file.content.length;
    for (let start = 0; start < total; start += UPLOAD_CHUNK) {
      const end = Math.min(start + UPLOAD_CHUNK, total) - 1;
      // The upload URL carries its own authorisation: sending the bearer token too is refused.
      const answer = await httpsRequest(uploadUrl, {
        method: 'PUT',
        headers: { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${total}`, 'content-type': 'application/octet-stream' },
        body: file.content.subarray(start, end + 1),
        ca: this.config.ca,
      }).catch((err: Error) => {
        throw new DeliveryError(`upload of ${file.filename} to Microsoft Graph failed: ${err.message}`, 'transient', 'message');
      });
      if (answer.status !== 200 && answer.status !== 201) throw graphFailure(answer, `upload of ${file.filename}`, context);
    }
  }
}

/** What Graph's mailbox and permission errors mean, and what fixes them. */
function advice(code: string, mailbox: string): string | null {
  switch (code) {
    case 'ErrorAccessDenied':
      return `the application may not use the mailbox ${mailbox}: give the app registration the Mail.Send application permission (Mail.ReadWrite for drafts and e-mails over 4 MB) with admin consent, and if Exchange RBAC for Applications or an application access policy limits the app, include ${mailbox} in its scope`;
    case 'ErrorInvalidUser':
      return `${mailbox} is not a user of this tenant: check the address (a typing mistake, or a user of another tenant)`;
    case 'MailboxNotEnabledForRESTAPI':
      return `${mailbox} has no Exchange Online mailbox Graph can use: give the user an Exchange Online licence (or wait for the new mailbox to be provisioned); on-premises mailboxes cannot send through Graph`;
    case 'ErrorSendAsDenied':
      return `the mailbox ${mailbox} may not send as the From address: grant Send As (Add-RecipientPermission -Identity <from> -Trustee ${mailbox} -AccessRights SendAs), or check "Force postmaster as sender of all emails"`;
    default:
      return null;
  }
}

const MAILBOX_CODES = new Set(['ErrorAccessDenied', 'ErrorInvalidUser', 'MailboxNotEnabledForRESTAPI', 'ErrorSendAsDenied']);

/**
 * Graph's answer as a typed failure: 429/503 honour Retry-After, 5xx transient; permission and
 * mailbox errors on the route's own mailbox stop the route (every e-mail would meet them), on
 * another mailbox they fail that e-mail; other 4xx fail the e-mail.
 */
export function graphFailure(answer: HttpsAnswer, step: string, context?: FailureContext): DeliveryError {
  const error = (parseJson(answer.body) as { error?: { code?: string; message?: string } } | null)?.error;
  const what = `Microsoft Graph ${step}: ${answer.status}${error?.code ? ` ${error.code}` : ''}${error?.message ? `: ${error.message}` : ''}`;
  if (answer.status === 429 || answer.status === 503 || answer.status === 504) {
    const seconds = Number(answer.headers['retry-after']);
    const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000;
    return new DeliveryError(`${what} (retry after ${Math.round(retryAfterMs / 1000)} s)`, 'transient', 'message', answer.status, [], retryAfterMs);
  }
  if (answer.status >= 500) return new DeliveryError(what, 'transient', 'message', answer.status);
  const code = error?.code ?? '';
  if (context && MAILBOX_CODES.has(code)) {
    const text = `${what} (${advice(code, context.mailbox)})`;
    const onRoute = context.routeMailbox !== undefined && context.routeMailbox.toLowerCase() === context.mailbox.toLowerCase();
    // On the route's mailbox, nothing goes until an administrator fixes it: the e-mail waits.
    return onRoute ? new DeliveryError(text, 'transient', 'route', answer.status) : new DeliveryError(text, 'permanent', 'message', answer.status);
  }
  if (answer.status === 401) return new DeliveryError(`${what} (the token was refused twice)`, 'permanent', 'route', 401);
  return new DeliveryError(what, 'permanent', 'message', answer.status);
}
