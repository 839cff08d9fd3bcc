// Administrator browser sessions: a random cookie value (only its hash is stored) and a CSRF
// token bound to the session, echoed by the console in a header.
import crypto from 'node:crypto';
import type { Store } from '../db/index.js';
import { randomToken, tokenHash } from './passwords.js';

export const SESSION_LIFETIME_MS = 12 * 3600_000;
export const SESSION_IDLE_MS = 30 * 60_000;

export interface SessionTimes {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after sign-in, used or not. */
  lifetimeMs: number;
}

export interface Session {
  username: string;
  csrfToken: string;
  expiresAt: number;
}

export class Sessions {
  readonly times: SessionTimes;

  constructor(
    private readonly store: Store,
    times: Partial<SessionTimes> = {},
  ) {
    this.times = { idleMs: times.idleMs ?? SESSION_IDLE_MS, lifetimeMs: times.lifetimeMs ?? SESSION_LIFETIME_MS };
  }

  async create(username: string): Promise<Session & { cookie: string }> {
    const cookie = randomToken();
    const now = Date.now();
    const session = { username, csrfToken: randomToken(), expiresAt: now + this.times.lifetimeMs };
    await this.store.db
      .insertInto('sessions')
      .values({ id_hash: tokenHash(cookie), username, csrf_token: session.csrfToken, created_at: now, expires_at: session.expiresAt, last_seen_at: now })
      .execute();
    // Expired sessions are swept on each login, not by a timer.
    await this.store.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
    return { ...session, cookie };
  }

  async find(cookie: string): Promise<Session | null> {
    const idHash = tokenHash(cookie);
    const row = await this.store.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (!row) return null;
    const now = Date.now();
    const lastSeen = row.last_seen_at ?? row.created_at;
    if (row.expires_at < now || now - lastSeen > this.times.idleMs) {
      await this.store.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
      return null;
    }
    // Written now and then, not at every request: a busy console must not turn reads into writes.
    if (now - lastSeen > Math.min(60_000, this.times.idleMs / 10)) {
      await this.store.db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
    }
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
