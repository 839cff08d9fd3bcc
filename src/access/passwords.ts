// Password hashing with scrypt (memory-hard, in Node's standard library): the stored form
// carries its own parameters so they can be raised later without breaking old hashes.
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { PostroomError } from '../errors.js';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;
const PARAMS = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 64;

export const MIN_PASSWORD_LENGTH = 12;

export class PasswordPolicyError extends PostroomError {
  override name = 'PasswordPolicyError';
  readonly code = 'invalid_request';
  override get fields() {
    return [{ field: 'password', message: this.message }];
  }
}

export function checkPasswordPolicy(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new PasswordPolicyError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  if (password.length > 1024) throw new PasswordPolicyError('the password must be at most 1024 characters long');
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, { ...PARAMS, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  return crypto.timingSafeEqual(actual, expected);
}

/** SHA-256 for high-entropy random tokens (sessions, API tokens): no salt or stretching needed. */
export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export function randomToken(bytes = 32): string {
  return crypto.randomBytes(bytes).toString('base64url');
}
