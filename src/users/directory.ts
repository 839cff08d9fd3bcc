// The users a host application sends for: their address, name and e-mail software (the
// server sends for them, or Outlook (New) drafts). Keeps the postmaster rule both ways.
import { z } from 'zod';
import type { EmailSoftware, Store } from '../db/index.js';
import { emailAddress } from '../settings/index.js';
import { lineText } from '../mail/index.js';
import { PostroomError } from '../errors.js';

export const userInputSchema = z
  .object({
    email: emailAddress,
    name: lineText(200).default(''),
    emailSoftware: z.enum(['server', 'outlook-new'], { message: 'must be "server" or "outlook-new"' }).default('server'),
  })
  .strict();

export const userIdSchema = z.string().regex(/^[\w.@:-]{1,200}$/, { message: 'must be 1 to 200 letters, digits or . @ : _ -' });

export interface User {
  id: string;
  email: string;
  name: string;
  emailSoftware: EmailSoftware;
  createdAt: string;
  updatedAt: string;
}

/** Who writes a user: the source recorded as its owner, and whether it is an administrator. */
export interface UserWriter {
  source: string;
  admin: boolean;
}

/** A token writing a user another source created. */
export class UserOwnershipError extends PostroomError {
  override name = 'UserOwnershipError';
  readonly code = 'forbidden';
}

/** A user whose address is the postmaster's: the postmaster must stay a mailbox of its own. */
export class PostmasterConflictError extends PostroomError {
  override name = 'PostmasterConflictError';
  readonly code = 'postmaster_conflict';
  override get fields() {
    return [{ field: 'email', message: this.message }];
  }
}

export class UserDirectory {
  constructor(
    private readonly store: Store,
    private readonly postmaster: () => Promise<string>,
  ) {}

  /**
   * `by` is who asks: a token may create users and change only the ones it created (a user made
   * before owners were kept goes to the first token that writes it); an administrator, any.
   */
  async upsert(id: string, input: unknown, by: UserWriter = { source: 'admin', admin: true }): Promise<{ user: User; created: boolean }> {
    const v = userInputSchema.parse(input);
    const pm = await this.postmaster();
    if (pm && pm.toLowerCase() === v.email.toLowerCase()) {
      throw new PostmasterConflictError(
        `${v.email} is the Mail postmaster's address: a user cannot have it, because e-mails sent "from the postmaster" must not look as if that user sent them`,
      );
    }
    const now = Date.now();
    const existing = await this.store.db.selectFrom('users').select(['id', 'owner']).where('id', '=', id).executeTakeFirst();
    if (existing && !by.admin && existing.owner !== null && existing.owner !== by.source) {
      throw new UserOwnershipError(`user "${id}" was created by another application: this token may change only the users it created`);
    }
    const values = { email: v.email, email_key: v.email.toLowerCase(), name: v.name, email_software: v.emailSoftware, updated_at: now };
    if (existing) {
      const claim = existing.owner === null && !by.admin ? { owner: by.source } : {};
      await this.store.db.updateTable('users').set({ ...values, ...claim }).where('id', '=', id).execute();
    } else await this.store.db.insertInto('users').values({ id, ...values, created_at: now, owner: by.source }).execute();
    return { user: (await this.get(id)) as User, created: !existing };
  }

  async get(id: string): Promise<User | null> {
    const row = await this.store.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async list(): Promise<User[]> {
    const rows = await this.store.db.selectFrom('users').selectAll().orderBy('email_key').execute();
    return rows.map(toUser);
  }

  async findByEmail(email: string): Promise<User | null> {
    const row = await this.store.db.selectFrom('users').selectAll().where('email_key', '=', email.toLowerCase()).executeTakeFirst();
    return row ? toUser(row) : null;
  }
}

function toUser(r: { id: string; email: string; name: string; email_software: EmailSoftware; created_at: number; updated_at: number }): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    emailSoftware: r.email_software,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
