// Reads and changes the email settings: one row per key, validated field by field, secrets
// sealed, every change audited in the same transaction as the change itself.
import { RecentReads, writeTransaction, type Store } from '../db/index.js';
import {
  FIELDS,
  SETTING_KEYS,
  defaultSettings,
  isSecretKey,
  isSettingKey,
  type EmailSettings,
  type RouteKind,
  type SettingKey,
} from './fields.js';
import { findProblems, findWarnings, type Problem } from './problems.js';
import { activeRoutes, filesRouteCannotCarry, routeKind, type CarriedFile, type RefusedFile, type SendingRoute } from './routes.js';
import { PRESETS, PRESET_NAMES } from './presets.js';
import { describePem, expiryWarnings, type CertificateInfo } from './certificates.js';
import type { Sealer } from './secrets.js';
import { readClientCertificate } from './certificate.js';
import { describeGoogleKey, readGoogleServiceAccountKey } from './google-key.js';
import { PostroomError } from '../errors.js';
import { SECRET_BINDINGS, clearedMessage, type BoundSecret, type ClearedSecret } from './bindings.js';

export interface FieldError {
  key: string;
  message: string;
}

/** A refused change: nothing of it was stored. */
export class SettingsValidationError extends PostroomError {
  override name = 'SettingsValidationError';
  readonly code = 'invalid_request';
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.key}: ${e.message}`).join('; '));
  }
  override get publicMessage() {
    return `settings refused, nothing saved: ${this.message}`;
  }
  override get fields() {
    return this.errors.map((e) => ({ field: e.key, message: e.message }));
  }
}

export interface SecretState {
  set: boolean;
  updatedAt: string | null;
}

/** What any reader outside the sending process sees: secrets reduced to whether they are set. */
export type PublicSettings = {
  [K in SettingKey]: (typeof FIELDS)[K]['kind'] extends 'secret' ? SecretState : EmailSettings[K];
};

export interface SettingsView {
  settings: PublicSettings;
  /** Stop sending until fixed. */
  problems: Problem[];
  /** Do not stop sending, but need attention soon (an expiring client secret). */
  warnings: Problem[];
  /** What the PEM settings hold (subject, issuer, expiry), for the screen: the PEM itself is in settings. */
  certificates: Partial<Record<SettingKey, CertificateInfo[]>>;
  /** The sending route the settings choose (routeKind), the server's answer the console shows. */
  route: SendingRoute;
  /** Every route in use: the sending one, plus drafts when an Outlook (New) mailbox is named. */
  routes: RouteKind[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  key: string;
  oldValue: unknown;
  newValue: unknown;
  secret: boolean;
}

/**
 * How long a setting read by recentValue may be believed from memory: a change made in this
 * process is seen at once, one made by another (the CLI, another instance) within this time.
 */
export const SETTING_MEMORY_MS = 2_000;

export class SettingsService {
  private readonly remembered = new RecentReads<SettingKey, unknown>(SETTING_MEMORY_MS);
  /**
   * What each PEM setting holds, read once per stored value: view() runs on every /healthz, which
   * anyone may call, and a bundle of 1,800 certificates took half a second of the thread to parse.
   */
  private readonly certificatesRead = new Map<SettingKey, { stored: string; found: CertificateInfo[] }>();

  /**
   * `postmasterOwner` tells whose address an e-mail is (the user directory answers it): the
   * postmaster may not be an existing user's address.
   */
  constructor(
    private readonly store: Store,
    private readonly sealer: Sealer,
    private readonly postmasterOwner: (email: string) => Promise<string | null> = async () => null,
  ) {}

  /** One setting that is not a secret, read alone: for paths as hot as a hand-over. */
  async value<K extends SettingKey>(key: K): Promise<EmailSettings[K]> {
    if (isSecretKey(key)) throw new Error(`${key} is a secret: use load()`);
    const row = await this.store.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return (row ? JSON.parse(row.value) : FIELDS[key].default) as EmailSettings[K];
  }

  /** value() for a path run on every hand-over: believed from memory for SETTING_MEMORY_MS. */
  async recentValue<K extends SettingKey>(key: K): Promise<EmailSettings[K]> {
    return (await this.remembered.get(key, () => this.value(key))) as EmailSettings[K];
  }

  /**
   * The files of an e-mail being handed over that the route the settings choose could never send
   * (routes.ts says which); none for most e-mails, which read no setting at all.
   */
  filesRouteCannotCarry(files: CarriedFile[]): Promise<RefusedFile[]> {
    return filesRouteCannotCarry(files, (key) => this.value(key));
  }

  /** The effective settings with secrets opened; for the sending process only. */
  async load(): Promise<EmailSettings> {
    const rows = await this.store.db.selectFrom('settings').select(['key', 'value']).execute();
    const out: Record<string, unknown> = defaultSettings();
    for (const row of rows) {
      if (!isSettingKey(row.key)) continue;
      const value: unknown = JSON.parse(row.value);
      out[row.key] = isSecretKey(row.key) ? this.sealer.open(row.key, String(value)) : value;
    }
    return out as EmailSettings;
  }

  async view(): Promise<SettingsView> {
    const rows = await this.store.db.selectFrom('settings').select(['key', 'value', 'updated_at']).execute();
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const settings: Record<string, unknown> = {};
    // The rules need to know whether a secret is there, never its value: nothing is decrypted
    // here, and a secret sealed under another master key is a problem to fix on this screen,
    // not an error that would keep the administrator from the screen.
    const effective: Record<string, unknown> = {};
    const keyProblems: Problem[] = [];
    for (const k of SETTING_KEYS) {
      const row = byKey.get(k);
      if (isSecretKey(k)) {
        settings[k] = { set: row !== undefined, updatedAt: row ? new Date(row.updated_at).toISOString() : null };
        const problem = row ? this.sealer.problem(k, String(JSON.parse(row.value))) : null;
        if (problem) keyProblems.push({ key: k, message: problem });
        effective[k] = row && !problem ? '(set)' : '';
      } else {
        settings[k] = row ? JSON.parse(row.value) : FIELDS[k].default;
        effective[k] = settings[k];
      }
    }
    const s = effective as EmailSettings;
    const certificates: Partial<Record<SettingKey, CertificateInfo[]>> = {};
    const certificateWarnings: Problem[] = [];
    for (const k of SETTING_KEYS) {
      if (FIELDS[k].kind !== 'pem' || !s[k]) continue;
      const found = this.certificatesOf(k, byKey.get(k)?.value ?? '', String(s[k]));
      certificates[k] = found;
      for (const message of expiryWarnings(found)) certificateWarnings.push({ key: k, message });
    }
    return {
      settings: settings as PublicSettings,
      problems: [...keyProblems, ...findProblems(s)],
      warnings: [...findWarnings(s), ...certificateWarnings],
      certificates,
      route: routeKind(s),
      routes: activeRoutes(s),
    };
  }

  private certificatesOf(key: SettingKey, stored: string, pem: string): CertificateInfo[] {
    const known = this.certificatesRead.get(key);
    if (known?.stored === stored) return known.found;
    const found = describePem(pem);
    this.certificatesRead.set(key, { stored, found });
    return found;
  }

  /**
   * Validates every key of the patch first; if any is refused, nothing is stored. A secret
   * set to "" or null is cleared. Values equal to the stored one are not re-audited. A change
   * of where a secret goes (SECRET_BINDINGS) clears the stored secret unless the same patch
   * gives a new one; `cleared` says which, and the audit log records it.
   */
  async update(patch: Record<string, unknown>, actor: string): Promise<SettingsView & { cleared: ClearedSecret[] }> {
    const parsed = parsePatch(patch);
    // The certificate's expiry is read from it, never typed: it drives the same warnings as the secret's.
    const certificate = parsed.get('clientCertificate');
    if (typeof certificate === 'string') {
      parsed.set('clientCertificateExpiresAt', certificate ? new Date(readClientCertificate(certificate).expiresAt).toISOString().slice(0, 10) : '');
    }
    // Whose Google key it is is read from it too, for the screen (the key itself is never shown).
    const googleKey = parsed.get('googleServiceAccountKey');
    if (typeof googleKey === 'string') parsed.set('googleServiceAccount', googleKey ? describeGoogleKey(readGoogleServiceAccountKey(googleKey)) : '');
    const postmaster = parsed.get('postmaster');
    if (typeof postmaster === 'string' && postmaster) {
      const owner = await this.postmasterOwner(postmaster);
      if (owner) {
        throw new SettingsValidationError([
          { key: 'postmaster', message: `${postmaster} is the address of user ${owner}: the postmaster must be a mailbox of its own` },
        ]);
      }
    }
    const now = Date.now();
    const cleared: ClearedSecret[] = [];
    this.remembered.forget();
    await writeTransaction(this.store, async (trx) => {
      const current = await trx.selectFrom('settings').select(['key', 'value']).execute();
      const stored = new Map(current.map((r) => [r.key, r.value]));
      for (const [secret, boundTo] of Object.entries(SECRET_BINDINGS) as [BoundSecret, readonly SettingKey[]][]) {
        if (parsed.has(secret) || !stored.has(secret)) continue;
        const because = boundTo.filter((k) => parsed.has(k) && JSON.stringify(parsed.get(k)) !== (stored.get(k) ?? JSON.stringify(FIELDS[k].default)));
        if (!because.length) continue;
        // A certificate's expiry is read from it: it goes with it.
        const withIt = secret === 'clientCertificate' ? [secret, 'clientCertificateExpiresAt'] : secret === 'googleServiceAccountKey' ? [secret, 'googleServiceAccount'] : [secret];
        await trx.deleteFrom('settings').where('key', 'in', withIt).execute();
        await trx
          .insertInto('audit_log')
          .values({ at: now, actor: `${actor} (cleared: ${because.join(', ')} changed)`, key: secret, old_value: null, new_value: null, secret: 1 })
          .execute();
        cleared.push({ key: secret, because, message: clearedMessage(secret, because) });
      }
      for (const [key, value] of parsed) {
        const secret = isSecretKey(key);
        const before = stored.get(key);
        const clearing = secret && value === '';
        if (clearing) {
          if (before === undefined) continue;
          await trx.deleteFrom('settings').where('key', '=', key).execute();
        } else {
          const json = JSON.stringify(secret ? this.sealer.seal(key, String(value)) : value);
          const oldValue = before ?? JSON.stringify(FIELDS[key].default);
          if (!secret && oldValue === json) continue;
          const row = { key, value: json, updated_at: now, updated_by: actor };
          await trx
            .insertInto('settings')
            .values(row)
            .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: now, updated_by: actor }))
            .execute();
        }
        await trx
          .insertInto('audit_log')
          .values({
            at: now,
            actor,
            key,
            old_value: secret ? null : (before ?? JSON.stringify(FIELDS[key].default)),
            new_value: secret ? null : JSON.stringify(value),
            secret: secret ? 1 : 0,
          })
          .execute();
      }
    }).finally(() => this.remembered.forget());
    return { ...(await this.view()), cleared };
  }

  async applyPreset(name: string, actor: string): Promise<SettingsView & { cleared: ClearedSecret[] }> {
    const preset = PRESETS[name];
    if (!preset) {
      throw new SettingsValidationError([{ key: 'preset', message: `unknown preset "${name}" (known: ${PRESET_NAMES.join(', ')})` }]);
    }
    return this.update(preset.values, `${actor} (preset ${name})`);
  }

  async audit(limit = 100): Promise<AuditEntry[]> {
    const rows = await this.store.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      key: r.key,
      oldValue: auditValue(r.key, r.old_value),
      newValue: auditValue(r.key, r.new_value),
      secret: Boolean(r.secret),
    }));
  }
}

/**
 * An audited value as the log shows it: a certificate bundle as what it holds (subjects, expiry),
 * not kilobytes of base64 that would fill the page.
 */
function auditValue(key: string, stored: string | null): unknown {
  if (stored === null) return null;
  const value: unknown = JSON.parse(stored);
  if (!isSettingKey(key) || FIELDS[key].kind !== 'pem' || typeof value !== 'string' || value === '') return value;
  const found = describePem(value);
  if (found.length === 0) return `PEM (${value.length} characters)`;
  const first = found[0] as CertificateInfo;
  const more = found.length > 1 ? ` and ${found.length - 1} more` : '';
  return `${found.length} certificate${found.length === 1 ? '' : 's'}: ${first.subject}, until ${first.expiresAt.slice(0, 10)}${more}`;
}

/** Settings that were, and what took their place: a script that still sets one learns where to go. */
const RETIRED_SETTINGS: Record<string, string> = {
  webhooksAllowPrivate: 'is no longer a setting: an administrator allows a private or loopback address for one webhook (allowPrivateTarget)',
};

function parsePatch(patch: Record<string, unknown>): Map<SettingKey, unknown> {
  const errors: FieldError[] = [];
  const out = new Map<SettingKey, unknown>();
  const entries = Object.entries(patch);
  if (entries.length === 0) errors.push({ key: '(none)', message: 'no setting to change was given' });
  for (const [key, raw] of entries) {
    if (!isSettingKey(key)) {
      errors.push({ key, message: (Object.hasOwn(RETIRED_SETTINGS, key) ? RETIRED_SETTINGS[key] : undefined) ?? 'is not a setting' });
      continue;
    }
    if (FIELDS[key].readOnly) {
      errors.push({ key, message: 'is set by Postroom and cannot be changed' });
      continue;
    }
    const value = raw === null && isSecretKey(key) ? '' : raw;
    const result = FIELDS[key].schema.safeParse(value);
    if (result.success) out.set(key, result.data);
    else errors.push({ key, message: result.error.issues[0]?.message ?? 'is not valid' });
  }
  if (errors.length) throw new SettingsValidationError(errors);
  return out;
}

/** For the CLI: turns `smtpPort=587` text into the value the field's type wants. */
export function coerceSettingText(key: string, text: string): unknown {
  if (!isSettingKey(key)) return text;
  switch (FIELDS[key].kind) {
    case 'bool':
      if (/^(true|yes|on|1)$/i.test(text)) return true;
      if (/^(false|no|off|0)$/i.test(text)) return false;
      return text;
    case 'int':
      return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
    default:
      return text;
  }
}
