// Postroom's errors as HTTP answers: the status comes from the code table in src/errors.ts, the
// body is {error: code, message, fields?}. Anything unexpected is a 500 that says nothing more.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { httpStatusOf, PostroomError, type ErrorCode, type FieldProblem } from '../errors.js';
import { SettingsValidationError, refusedPreamble, translateMessage } from '../settings/index.js';
import { storageFault } from '../db/index.js';
import { preferredLanguage, type Language } from './language.js';

export type { FieldProblem } from '../errors.js';

/** An error raised by the HTTP layer itself (auth, CSRF, a missing route parameter's target). */
export class HttpError extends PostroomError {
  override name = 'HttpError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    private readonly problems: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
    /** Only for Fastify's own 4xx, whose status is already decided. */
    status?: number,
  ) {
    super(message);
    this.status = status ?? httpStatusOf(code);
  }

  override get fields(): FieldProblem[] {
    return this.problems;
  }
}

export const badRequest = (message: string, fields: FieldProblem[] = []) => new HttpError('invalid_request', message, fields);
export const notFound = (message: string) => new HttpError('not_found', message);
export const forbidden = (message: string) => new HttpError('forbidden', message);
export const unauthorized = (message: string) => new HttpError('unauthorized', message);

export function fromZod(where: string, err: ZodError): HttpError {
  const fields = err.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : where, message: i.message }));
  return badRequest(fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields);
}

/** `lang` words the reasons for refused settings; other messages are English. */
export function toHttpError(err: unknown, lang: Language = 'en'): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof ZodError) return fromZod('(body)', err);
  if (err instanceof SettingsValidationError) {
    // The reasons in the caller's language (Accept-Language); the codes stay the same.
    const fields = err.errors.map((e) => ({ field: e.key, message: translateMessage(e.message, lang) }));
    return new HttpError(err.code, `${refusedPreamble(lang)}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, fields);
  }
  if (err instanceof PostroomError) return new HttpError(err.code, err.publicMessage, err.fields);
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError('body_too_large', 'the request body is larger than this route accepts');
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new HttpError('unsupported_media_type', 'send the body as application/json');
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return badRequest('the body is empty; send a JSON object');
  if (fe.statusCode === 400 && (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)) {
    return badRequest('the body is not valid JSON');
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new HttpError('invalid_request', fe.message, [], {}, fe.statusCode);
  // The storage failing is no bug of the request: said so, with when to try again (its words go to the log).
  const fault = storageFault(err);
  if (fault?.kind === 'full') return new HttpError('storage_full', 'the database (or its disk) is full: nothing was stored; try again later', [], { 'retry-after': '30' });
  if (fault) return new HttpError('database_unavailable', 'the database cannot be reached or keeps failing: nothing was stored; try again in a few seconds', [], { 'retry-after': '5' });
  return null;
}

/** Longest path parameter the router reads; a user ID may be 200 characters, percent-encoded up to 1,800. */
export const MAX_PARAM_LENGTH = 2_000;

/** The router's own refusals (a path that is not valid percent-encoding, a parameter over the bound), in the one shape. */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`
      : 'the path is not valid percent-encoding (a % must be followed by two hexadecimal digits of UTF-8)';
  errorHandler(new HttpError('invalid_request', message), req, reply);
}

/**
 * Node's own refusals, before a request exists (a request too slow to arrive, headers too large,
 * malformed HTTP): in the one shape too, written on the socket as Node would.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'the request did not arrive in full within the time allowed']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'the request headers are larger than this server reads']
        : [400, 'invalid_request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: code, message });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

export function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const http = toHttpError(err, preferredLanguage(req.headers['accept-language']));
  if (http && (http.code === 'storage_full' || http.code === 'database_unavailable')) {
    req.log.error({ err: err instanceof Error ? err.message : String(err) }, 'the database did not take the request');
  }
  if (!http) {
    req.log.error({ err: err instanceof Error ? err.message : String(err) }, 'request failed');
    void reply.status(httpStatusOf('internal')).send({ error: 'internal', message: 'internal error; the server log has the details' });
    return;
  }
  void reply
    .status(http.status)
    .headers(http.headers)
    .send({ error: http.code, message: http.message, ...(http.fields.length ? { fields: http.fields } : {}) });
}
