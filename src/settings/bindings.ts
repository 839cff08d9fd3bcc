// A stored secret is bound to the destination it was saved for: changing where it would go
// clears it, so a session cannot point the route at its own server and receive the secret.
import type { SettingKey } from './fields.js';

export type BoundSecret = 'smtpPassword' | 'clientSecret' | 'imapPassword';

/** Each secret and the settings that say where it is sent. */
export const SECRET_BINDINGS: Record<BoundSecret, readonly SettingKey[]> = {
  smtpPassword: ['smtpHost', 'smtpPort', 'smtpUser'],
  clientSecret: ['tenantId', 'clientId'],
  imapPassword: ['imapHost', 'imapPort', 'imapUser'],
};

/** The secret a change of this setting clears, if any. */
export function secretBoundTo(key: SettingKey): BoundSecret | null {
  for (const [secret, keys] of Object.entries(SECRET_BINDINGS) as [BoundSecret, readonly SettingKey[]][]) {
    if (keys.includes(key)) return secret;
  }
  return null;
}

/** A secret cleared by a save, and the settings whose change cleared it. */
export interface ClearedSecret {
  key: BoundSecret;
  because: SettingKey[];
  message: string;
}

export function clearedMessage(key: BoundSecret, because: SettingKey[]): string {
  return `${key} was cleared because ${because.join(', ')} changed: it was saved for the old value, so it is never sent elsewhere; enter it again`;
}
