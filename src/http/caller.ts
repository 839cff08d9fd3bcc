// Who is calling: an administrator with a session cookie, or a host application with a bearer
// token. State-changing session requests must also prove they come from the console (CSRF).
import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie'; // adds req.cookies
import type { Session, TokenCaller } from '../access/index.js';
import { sameSecret } from '../access/index.js';
import type { Postroom } from '../app.js';
import { forbidden, HttpError, unauthorized } from './errors.js';

export const SESSION_COOKIE = 'postroom_session';
export const CSRF_COOKIE = 'csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** Over HTTPS the cookies are Secure and carry this prefix: the browser then refuses one set by a sibling host or over HTTP. */
export const SECURE_PREFIX = '__Host-';

/** The request reached Postroom over HTTPS: directly, or through a trusted proxy (X-Forwarded-Proto). */
export const overHttps = (req: FastifyRequest) => req.protocol === 'https';

/** The cookie names for this request: prefixed over HTTPS, where only the prefixed ones are read. */
export function cookieNames(req: FastifyRequest, forceSecure = false): { session: string; csrf: string; secure: boolean } {
  const secure = forceSecure || overHttps(req);
  return secure
    ? { session: SECURE_PREFIX + SESSION_COOKIE, csrf: SECURE_PREFIX + CSRF_COOKIE, secure }
    : { session: SESSION_COOKIE, csrf: CSRF_COOKIE, secure };
}

/**
 * A cookie's value: over HTTPS only the prefixed one (a sibling host or a plain-HTTP page cannot
 * set it); over HTTP the prefixed one first (POSTROOM_SECURE_COOKIES behind a proxy that does not
 * say X-Forwarded-Proto), then the plain one.
 */
function readCookie(req: FastifyRequest, name: string): string | undefined {
  const prefixed = req.cookies[SECURE_PREFIX + name];
  return overHttps(req) ? prefixed : (prefixed ?? req.cookies[name]);
}

export type Caller = { kind: 'admin'; username: string; session: Session; cookie: string } | { kind: 'token'; token: TokenCaller };

export type Access = 'public' | 'admin' | 'admin-or-token';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function identify(postroom: Postroom, req: FastifyRequest): Promise<Caller | null> {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const token = m?.[1] ? await postroom.tokens.verifyRecent(m[1]) : null;
    if (!token) throw unauthorized('the bearer token is unknown or revoked');
    return { kind: 'token', token };
  }
  const cookie = readCookie(req, SESSION_COOKIE);
  if (!cookie) return null;
  const session = await postroom.sessions.find(cookie);
  return session ? { kind: 'admin', username: session.username, session, cookie } : null;
}

/** The console's fetches carry the CSRF token twice (cookie and header) and a same-origin Origin. */
export function checkCsrf(req: FastifyRequest, caller: Caller): void {
  if (caller.kind !== 'admin' || SAFE.has(req.method)) return;
  const header = req.headers[CSRF_HEADER];
  const cookie = readCookie(req, CSRF_COOKIE);
  if (typeof header !== 'string' || !cookie || !sameSecret(header, cookie) || !sameSecret(header, caller.session.csrfToken)) {
    throw new HttpError('csrf', `missing or wrong CSRF token: send the "${CSRF_COOKIE}" cookie's value in the ${CSRF_HEADER} header`);
  }
  checkOrigin(req, true);
}

/** Refuses a request whose Origin is another site (and, when required, one with no Origin). */
export function checkOrigin(req: FastifyRequest, required: boolean): void {
  const origin = req.headers.origin;
  if (!origin) {
    if (required) throw new HttpError('origin', 'the Origin header is required for this request');
    return;
  }
  const host = req.headers.host;
  let ok = false;
  try {
    ok = new URL(origin).host === host;
  } catch {
    ok = false;
  }
  if (!ok) throw new HttpError('origin', `requests from ${origin} are not allowed`);
}

export async function authorize(postroom: Postroom, req: FastifyRequest, access: Access): Promise<Caller | null> {
  if (access === 'public') return null;
  const caller = await identify(postroom, req);
  if (!caller) throw unauthorized('sign in as an administrator, or send a bearer token');
  if (access === 'admin' && caller.kind !== 'admin') throw forbidden('this needs an administrator: an API token may not do it');
  checkCsrf(req, caller);
  return caller;
}
