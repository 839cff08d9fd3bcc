// API tokens for host applications: shown once when made, stored as a hash, revocable. A token
// may hand over e-mails and drafts, keep the user directory, and read its own e-mails.
import { RecentReads, type Store } from '../db/index.js';
import { randomToken, tokenHash } from './passwords.js';
import { PostroomError } from '../errors.js';

export const TOKEN_PREFIX = 'prt_';

export interface TokenInfo {
  id: number;
  name: string;
  prefix: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface TokenCaller {
  id: number;
  name: string;
}

export class TokenNameError extends PostroomError {
  override name = 'TokenNameError';
  readonly code = 'invalid_request';
  override get fields() {
    return [{ field: 'name', message: this.message }];
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * How long a token verified against the database may be believed from memory (verifyRecent). A
 * revoke in this process forgets it at once; one from another process (the CLI, another instance)
 * takes effect within this time.
 */
export const TOKEN_MEMORY_MS = 5_000;

export class ApiTokens {
  /** Tokens verified lately, by hash (the token itself is not kept); only valid ones. */
  private readonly recent = new RecentReads<string, TokenCaller | null>(TOKEN_MEMORY_MS);

  constructor(private readonly store: Store) {}

  async create(name: string, createdBy: string): Promise<TokenInfo & { token: string }> {
    const clean = name.trim();
    if (!/^[\w .@-]{1,100}$/.test(clean)) {
      throw new TokenNameError('the token name must be 1 to 100 letters, digits, spaces or . @ _ -');
    }
    const token = TOKEN_PREFIX + randomToken();
    const now = Date.now();
    const { id } = await this.store.db
      .insertInto('api_tokens')
      .values({ name: clean, token_hash: tokenHash(token), prefix: token.slice(0, 10), created_at: now, created_by: createdBy, last_used_at: null, revoked_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id, name: clean, prefix: token.slice(0, 10), createdAt: iso(now) as string, createdBy, lastUsedAt: null, revokedAt: null, token };
  }

  /** The token's caller as the database says now, or null when unknown or revoked. */
  async verify(token: string): Promise<TokenCaller | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    return this.read(tokenHash(token));
  }

  /**
   * verify() for the hot path (every API request): a token found valid within TOKEN_MEMORY_MS is
   * believed without reading the database. Unknown and revoked tokens are never remembered.
   */
  async verifyRecent(token: string): Promise<TokenCaller | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const hash = tokenHash(token);
    return this.recent.get(hash, () => this.read(hash), (caller) => caller !== null);
  }

  private async read(hash: string): Promise<TokenCaller | null> {
    const row = await this.store.db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'last_used_at'])
      .where('token_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    const now = Date.now();
    // Written at most once a minute: a busy host application must not turn reads into writes.
    if (row.last_used_at === null || now - row.last_used_at > 60_000) {
      await this.store.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
    }
    return { id: row.id, name: row.name };
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.store.db.selectFrom('api_tokens').selectAll().orderBy('id').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      createdAt: iso(r.created_at) as string,
      createdBy: r.created_by,
      lastUsedAt: iso(r.last_used_at),
      revokedAt: iso(r.revoked_at),
    }));
  }

  async revoke(id: number): Promise<boolean> {
    // Before and after the write: the token is refused from the moment the revoke is stored.
    const forget = () => this.recent.forget((caller) => caller?.id === id);
    forget();
    try {
      const r = await this.store.db.updateTable('api_tokens').set({ revoked_at: Date.now() }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    } finally {
      forget();
    }
  }
}

/** The `source` recorded on e-mails a token hands over; also what it may read back. */
export const tokenSource = (t: TokenCaller) => `token:${t.id}:${t.name}`;
