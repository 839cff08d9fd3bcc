// One mapping from Postroom's typed errors to HTTP answers: the status, a stable error code,
// a message naming the field and the reason. Anything unexpected is a 500 that says nothing more.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { EmailInputError, EmailNotFoundError, EmailStateError } from '../queue/index.js';
import { SettingsValidationError, MasterKeyError, refusedPreamble, translateMessage } from '../settings/index.js';
import { PostmasterConflictError } from '../users/index.js';
import { PasswordPolicyError, TokenNameError } from '../access/index.js';
import { MissingGraphSettingsError } from '../outlook/index.js';
import { DeliveryError } from '../transports/index.js';
import { WebhookInputError, WebhookNotFoundError } from '../webhooks/index.js';
import { preferredLanguage, type Language } from './language.js';

export interface FieldProblem {
  field: string;
  message: string;
}

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, fields: FieldProblem[] = []) => new HttpError(400, 'invalid_request', message, fields);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
export const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message);

export function fromZod(where: string, err: ZodError): HttpError {
  const fields = err.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : where, message: i.message }));
  return badRequest(fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields);
}

/** `lang` words the reasons for refused settings; other messages are English. */
export function toHttpError(err: unknown, lang: Language = 'en'): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof ZodError) return fromZod('(body)', err);
  if (err instanceof EmailInputError) return badRequest(`e-mail refused, nothing stored: ${err.message}`, err.errors);
  if (err instanceof SettingsValidationError) {
    const fields = err.errors.map((e) => ({ field: e.key, message: translateMessage(e.message, lang) }));
    return badRequest(`${refusedPreamble(lang)}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, fields);
  }
  if (err instanceof EmailNotFoundError) return notFound(err.message);
  if (err instanceof WebhookInputError) return badRequest(`webhook refused, nothing stored: ${err.message}`, err.errors);
  if (err instanceof WebhookNotFoundError) return notFound(err.message);
  if (err instanceof EmailStateError) return new HttpError(409, 'conflict', err.message);
  if (err instanceof PostmasterConflictError) return new HttpError(409, 'postmaster_conflict', err.message, [{ field: 'email', message: err.message }]);
  if (err instanceof PasswordPolicyError) return badRequest(err.message, [{ field: 'password', message: err.message }]);
  if (err instanceof TokenNameError) return badRequest(err.message, [{ field: 'name', message: err.message }]);
  if (err instanceof MissingGraphSettingsError) {
    return new HttpError(409, 'graph_settings_missing', err.message, err.missing.map((k) => ({ field: k, message: 'is required for Outlook (New) drafts' })));
  }
  // The mail service behind Postroom refused or failed: say so, with its own words.
  if (err instanceof DeliveryError) return new HttpError(502, 'upstream', err.message);
  if (err instanceof MasterKeyError) return new HttpError(500, 'master_key', err.message);
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError(413, 'body_too_large', 'the request body is larger than this route accepts');
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return badRequest('the body is empty; send a JSON object');
  if (fe.statusCode === 400 && (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)) {
    return badRequest('the body is not valid JSON');
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new HttpError(fe.statusCode, 'invalid_request', fe.message);
  return null;
}

export function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const http = toHttpError(err, preferredLanguage(req.headers['accept-language']));
  if (!http) {
    req.log.error({ err: err instanceof Error ? err.message : String(err) }, 'request failed');
    void reply.status(500).send({ error: 'internal', message: 'internal error; the server log has the details' });
    return;
  }
  void reply
    .status(http.status)
    .headers(http.headers)
    .send({ error: http.code, message: http.message, ...(http.fields.length ? { fields: http.fields } : {}) });
}
