// Microsoft Graph calls for the mail routes: the app token on every call (one more try with a
// fresh token after a 401), drafts made from MIME, and large files through upload sessions in
// ranges of a multiple of 320 KiB, with no Authorization header on the upload URL.
import type { OutgoingAttachment, OutgoingMessage } from '../queue/index.js';
import { DeliveryError } from './route.js';
import { httpsRequest, parseJson, type HttpsAnswer } from './https.js';
import { buildMime } from './mime.js';
import { UNTRUSTED, UNTRUSTED_MICROSOFT_HINT } from './trust.js';
import type { TokenProvider } from './oauth.js';

export const GRAPH_REQUEST_LIMIT = 4 * 1024 * 1024;
/** Files above this always go through an upload session (Graph: 3 MB to 150 MB). */
export const LARGE_ATTACHMENT = 3 * 1024 * 1024;
const UPLOAD_CHUNK = 12 * 320 * 1024;

export interface GraphConfig {
  graphUrl: string;
  scope: string;
  provider: TokenProvider;
  ca?: string | string[] | undefined;
}

export interface Draft {
  id: string;
  webLink: string | null;
  /** Path of the draft below /v1.0, for further calls. */
  path: string;
}

export class GraphClient {
  constructor(private readonly config: GraphConfig) {}

  async call(method: string, path: string, body: string | undefined, contentType = 'application/json'): Promise<HttpsAnswer> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.config.provider.getToken(this.config.scope, { forceRefresh: attempt > 0 });
      const answer = await httpsRequest(`${this.config.graphUrl}/v1.0${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': Buffer.byteLength(body ?? '') },
        ...(body !== undefined ? { body } : {}),
        ca: this.config.ca,
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

  /** A draft in `mailbox` holding the message; large files are uploaded after it is made. */
  async createDraft(mailbox: string, message: OutgoingMessage, small: OutgoingAttachment[], large: OutgoingAttachment[]): Promise<Draft> {
    const mime = (await buildMime(message, small)).toString('base64');
    const user = `/users/${encodeURIComponent(mailbox)}`;
    const created = await this.call('POST', `${user}/messages`, mime, 'text/plain');
    if (created.status !== 201) throw graphFailure(created, 'creating the draft');
    const resource = parseJson(created.body) as { id?: string; webLink?: string } | null;
    if (!resource?.id) throw new DeliveryError('Microsoft Graph created the draft without an id', 'transient', 'message');
    const draft: Draft = { id: resource.id, webLink: resource.webLink ?? null, path: `${user}/messages/${encodeURIComponent(resource.id)}` };
    try {
      for (const file of large) await this.attachLarge(draft, file);
    } catch (err) {
      await this.call('DELETE', draft.path, undefined).catch(() => undefined);
      throw err;
    }
    return draft;
  }

  private async attachLarge(draft: Draft, file: OutgoingAttachment): Promise<void> {
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
    if (session.status !== 201 && session.status !== 200) throw graphFailure(session, `upload session for ${file.filename}`);
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
      if (answer.status !== 200 && answer.status !== 201) throw graphFailure(answer, `upload of ${file.filename}`);
    }
  }
}

/** Moves the largest files to upload sessions until the rest fits in one Graph request. */
export async function splitForGraph(message: OutgoingMessage): Promise<{ small: OutgoingAttachment[]; large: OutgoingAttachment[] }> {
  const large = message.attachments.filter((a) => a.content.length > LARGE_ATTACHMENT);
  const small = message.attachments.filter((a) => a.content.length <= LARGE_ATTACHMENT).sort((a, b) => b.content.length - a.content.length);
  for (;;) {
    const size = Math.ceil(((await buildMime(message, small)).length * 4) / 3);
    if (size <= GRAPH_REQUEST_LIMIT - 64 * 1024 || small.length === 0) break;
    large.push(small.shift() as OutgoingAttachment);
  }
  return { small, large };
}

/** Graph's answer as a typed failure: 429/503 honour Retry-After, 5xx transient, other 4xx permanent. */
export function graphFailure(answer: HttpsAnswer, step: string): DeliveryError {
  const error = (parseJson(answer.body) as { error?: { code?: string; message?: string } } | null)?.error;
  const what = `Microsoft Graph ${step}: ${answer.status}${error?.code ? ` ${error.code}` : ''}${error?.message ? `: ${error.message}` : ''}`;
  if (answer.status === 429 || answer.status === 503 || answer.status === 504) {
    const seconds = Number(answer.headers['retry-after']);
    const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000;
    return new DeliveryError(`${what} (retry after ${Math.round(retryAfterMs / 1000)} s)`, 'transient', 'message', answer.status, [], retryAfterMs);
  }
  if (answer.status >= 500) return new DeliveryError(what, 'transient', 'message', answer.status);
  if (answer.status === 401) return new DeliveryError(`${what} (the token was refused twice)`, 'permanent', 'route', 401);
  return new DeliveryError(what, 'permanent', 'message', answer.status);
}
