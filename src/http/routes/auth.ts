// Signing in and out of the console, the one-time first setup, and the current session.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ADMIN, type LoginThrottle } from '../../access/index.js';
import type { Api } from '../api.js';
import { checkOrigin, cookieNames } from '../caller.js';
import { HttpError, unauthorized } from '../errors.js';
import { named } from '../replies.js';

const sessionReply = named('Session', z.object({ username: z.string(), csrfToken: z.string(), expiresAt: z.string() }));
const credentials = z.object({ username: z.string().max(100), password: z.string().max(1024) }).strict();

export function authRoutes(api: Api, throttle: LoginThrottle, secureCookies: boolean): void {
  const { postroom } = api;

  const startSession = async (req: FastifyRequest, reply: FastifyReply, username: string) => {
    const session = await postroom.sessions.create(username);
    // Secure by itself when the request came over HTTPS; POSTROOM_SECURE_COOKIES forces it.
    const names = cookieNames(req, secureCookies);
    const base = { path: '/', sameSite: 'strict' as const, secure: names.secure, maxAge: postroom.sessions.times.lifetimeMs / 1000 };
    void reply.setCookie(names.session, session.cookie, { ...base, httpOnly: true });
    void reply.setCookie(names.csrf, session.csrfToken, { ...base, httpOnly: false });
    return { username, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString() };
  };

  api.route({
    method: 'POST',
    path: '/auth/login',
    tag: 'auth',
    summary: 'Sign in as an administrator; sets the session and CSRF cookies',
    access: 'public',
    body: credentials,
    responses: { 200: { description: 'signed in', schema: sessionReply }, 401: 'wrong user name or password', 403: 'origin: sent from a foreign Origin (another site)', 429: 'too many failed attempts from this client' },
    async handle({ body, req, reply }) {
      checkOrigin(req, false);
      const client = req.ip;
      // Counted before the password is checked: thirty attempts sent at once meet the limit too.
      const reservation = await throttle.reserve(client, body.username);
      if (reservation.locked) {
        const seconds = Math.ceil(reservation.retryAfterMs / 1000);
        throw new HttpError('too_many_attempts', `too many failed sign-ins from this address: try again in ${seconds} s`, [], { 'retry-after': String(seconds) });
      }
      await sleep(reservation.delayMs);
      if (!(await postroom.admins.verify(body.username, body.password))) {
        req.log.warn({ client, username: body.username.slice(0, 100) }, 'failed sign-in');
        throw unauthorized('wrong user name or password');
      }
      await throttle.succeeded(client, body.username);
      return startSession(req, reply, body.username);
    },
  });

  api.route({
    method: 'POST',
    path: '/auth/setup',
    tag: 'auth',
    summary: 'Choose the administrator password with the one-time setup token printed at first start',
    access: 'public',
    body: z.object({ token: z.string().max(200), password: z.string().max(1024) }).strict(),
    responses: { 200: { description: 'password set, signed in', schema: sessionReply }, 403: 'setup_refused: the setup token is wrong, used or expired; or origin: sent from a foreign Origin' },
    async handle({ body, req, reply }) {
      checkOrigin(req, false);
      if (!(await postroom.admins.completeSetup(body.token, body.password))) {
        throw new HttpError('setup_refused', 'the setup token is wrong, already used or expired: restart Postroom for a new one, or run postroom admin password');
      }
      return startSession(req, reply, ADMIN);
    },
  });

  api.route({
    method: 'POST',
    path: '/auth/logout',
    tag: 'auth',
    summary: 'Sign out: ends the session',
    access: 'admin',
    responses: { 200: { description: 'signed out', schema: z.object({ signedOut: z.literal(true) }) } },
    async handle({ caller, req, reply }) {
      if (caller?.kind === 'admin') await postroom.sessions.destroy(caller.cookie);
      const names = cookieNames(req, secureCookies);
      const options = { path: '/', secure: names.secure };
      void reply.clearCookie(names.session, options).clearCookie(names.csrf, options);
      return { signedOut: true };
    },
  });

  api.route({
    method: 'GET',
    path: '/auth/session',
    tag: 'auth',
    summary: 'The current administrator session',
    access: 'admin',
    responses: { 200: { description: 'the session', schema: sessionReply }, 401: 'not signed in' },
    async handle({ caller }) {
      if (caller?.kind !== 'admin') return null;
      return { username: caller.username, csrfToken: caller.session.csrfToken, expiresAt: new Date(caller.session.expiresAt).toISOString() };
    },
  });
}
