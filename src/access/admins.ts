// The administrator account: password from POSTROOM_ADMIN_PASSWORD or `postroom admin password`,
// or, on a first start with neither, a one-time setup link; nothing is open meanwhile.
import type { Store } from '../db/index.js';
import { checkPasswordPolicy, hashPassword, randomToken, tokenHash, verifyPassword } from './passwords.js';

export const ADMIN = 'admin';
const SETUP_LIFETIME_MS = 24 * 3600_000;

export type AdminState = { state: 'ready' } | { state: 'setup'; setupToken: string };

export class AdminAccounts {
  constructor(private readonly store: Store) {}

  async setPassword(password: string, username = ADMIN): Promise<void> {
    checkPasswordPolicy(password);
    const hash = await hashPassword(password);
    const now = Date.now();
    await this.store.db
      .insertInto('admins')
      .values({ username, password_hash: hash, setup_token_hash: null, setup_expires_at: null, updated_at: now })
      .onConflict((oc) => oc.column('username').doUpdateSet({ password_hash: hash, setup_token_hash: null, setup_expires_at: null, updated_at: now }))
      .execute();
  }

  async hasPassword(username = ADMIN): Promise<boolean> {
    const row = await this.store.db.selectFrom('admins').select('password_hash').where('username', '=', username).executeTakeFirst();
    return Boolean(row?.password_hash);
  }

  async verify(username: string, password: string): Promise<boolean> {
    const row = await this.store.db.selectFrom('admins').select('password_hash').where('username', '=', username).executeTakeFirst();
    if (!row?.password_hash) {
      // Same work either way, so timing does not tell which user names exist.
      await hashPassword(password);
      return false;
    }
    return verifyPassword(password, row.password_hash);
  }

  /**
   * At start: the environment's password wins (set only when it differs, ending the sessions);
   * else an account with a password is ready;
   * else a fresh one-time setup token is made (each start makes a new one, the old one dies).
   */
  async prepare(envPassword: string | undefined): Promise<AdminState> {
    if (envPassword) {
      // Already the password: nothing to do (and a restart keeps everyone signed in).
      const row = await this.store.db.selectFrom('admins').select('password_hash').where('username', '=', ADMIN).executeTakeFirst();
      if (row?.password_hash && (await verifyPassword(envPassword, row.password_hash))) return { state: 'ready' };
      await this.setPassword(envPassword);
      // A new password ends every session made with the old one, as `postroom admin password` does.
      await this.store.db.deleteFrom('sessions').where('username', '=', ADMIN).execute();
      return { state: 'ready' };
    }
    if (await this.hasPassword()) return { state: 'ready' };
    const setupToken = randomToken();
    const now = Date.now();
    const values = { setup_token_hash: tokenHash(setupToken), setup_expires_at: now + SETUP_LIFETIME_MS, updated_at: now };
    await this.store.db
      .insertInto('admins')
      .values({ username: ADMIN, password_hash: null, ...values })
      .onConflict((oc) => oc.column('username').doUpdateSet(values))
      .execute();
    return { state: 'setup', setupToken };
  }

  /** Sets the first password with the one-time token; false when the token is wrong or spent. */
  async completeSetup(setupToken: string, password: string): Promise<boolean> {
    checkPasswordPolicy(password);
    const hash = await hashPassword(password);
    const now = Date.now();
    // One statement claims the token and sets the password: of two requests racing with the same
    // link, one wins and the other finds the token spent (a read, then a write, let both win).
    const claimed = await this.store.db
      .updateTable('admins')
      .set({ password_hash: hash, setup_token_hash: null, setup_expires_at: null, updated_at: now })
      .where('username', '=', ADMIN)
      .where('password_hash', 'is', null)
      .where('setup_token_hash', '=', tokenHash(setupToken))
      .where('setup_expires_at', '>=', now)
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  }
}
