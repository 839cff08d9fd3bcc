// Administrator browser sessions: a random cookie value (only its hash is stored) and a CSRF
// token bound to the session, echoed by the console in a header.
import crypto from 'node:crypto';
import type { Store } from '../db/index.js';
import { randomToken, tokenHash } from './passwords.js';

export const SESSION_LIFETIME_MS = 12 * 3600_000;

export interface Session {
  username: string;
  csrfToken: string;
  expiresAt: number;
}

export class Sessions {
  constructor(private readonly store: Store) {}

  async create(username: string): Promise<Session & { cookie: string }> {
    const cookie = randomToken();
    const now = Date.now();
    const session = { username, csrfToken: randomToken(), expiresAt: now + SESSION_LIFETIME_MS };
    await this.store.db
      .insertInto('sessions')
      .values({ id_hash: tokenHash(cookie), username, csrf_token: session.csrfToken, created_at: now, expires_at: session.expiresAt })
      .execute();
    // Expired sessions are swept on each login, not by a timer.
    await this.store.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
    return { ...session, cookie };
  }

  async find(cookie: string): Promise<Session | null> {
    const row = await this.store.db.selectFrom('sessions').selectAll().where('id_hash', '=', tokenHash(cookie)).executeTakeFirst();
    if (!row || row.expires_at < Date.now()) return null;
    return { username: row.username, csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  async destroy(cookie: string): Promise<void> {
    await this.store.db.deleteFrom('sessions').where('id_hash', '=', tokenHash(cookie)).execute();
  }

  /** After a password change every other session ends. */
  async destroyAll(username: string): Promise<void> {
    await this.store.db.deleteFrom('sessions').where('username', '=', username).execute();
  }
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
