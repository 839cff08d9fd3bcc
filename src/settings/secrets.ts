// Seals secret settings (SMTP password, client secret) with AES-256-GCM before they reach the
// database. The key comes from POSTROOM_MASTER_KEY or a 0600 key file made on first start.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PostroomError } from '../errors.js';

export class MasterKeyError extends PostroomError {
  override name = 'MasterKeyError';
  readonly code = 'master_key';
}

export class Sealer {
  private readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new MasterKeyError('the master key must be 32 bytes');
    // Stored beside each secret so a wrong key is reported as such, not as corrupt data.
    this.keyId = crypto.createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** `name` is bound in as associated data: a sealed password cannot be moved into another field. */
  seal(name: string, plain: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(name));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', this.keyId, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
  }

  /** Why `sealed` cannot be opened by this key, without decrypting it; null when it can. */
  problem(name: string, sealed: string): string | null {
    const [version, keyId, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !keyId || !iv || !tag || body === undefined) return `the stored ${name} is not a sealed secret: enter it again`;
    if (keyId !== this.keyId) {
      return `the stored ${name} was sealed with another master key (key ${keyId}, this process has ${this.keyId}): set POSTROOM_MASTER_KEY to the original key, or enter ${name} again`;
    }
    return null;
  }

  open(name: string, sealed: string): string {
    const problem = this.problem(name, sealed);
    if (problem) throw new MasterKeyError(problem);
    const [, , iv = '', tag = '', body = ''] = sealed.split('.');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new MasterKeyError(`the stored ${name} failed its integrity check: enter it again`);
    }
  }
}

/** Accepts 64 hex digits or base64 of 32 bytes; anything else is refused rather than stretched. */
export function parseMasterKey(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === 32) return key;
  }
  throw new MasterKeyError(
    'POSTROOM_MASTER_KEY must be 32 bytes written as 64 hex digits or base64 (for example: openssl rand -hex 32)',
  );
}

export const MASTER_KEY_FILE = 'master.key';

/** The key from the environment, else the data directory's key file, created 0600 when absent. */
export function loadMasterKey(env: NodeJS.ProcessEnv, dataDir: string): { key: Buffer; source: string } {
  const fromEnv = env.POSTROOM_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv !== '') return { key: parseMasterKey(fromEnv), source: 'POSTROOM_MASTER_KEY' };
  const file = path.join(dataDir, MASTER_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new MasterKeyError(`${file} is readable by other users (mode ${mode.toString(8)}): run chmod 600 ${file}`);
  }
  return { key: parseMasterKey(fs.readFileSync(file, 'utf8')), source: file };
}
