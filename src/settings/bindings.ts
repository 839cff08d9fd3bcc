// A stored secret is bound to the destination it was saved for and to how it travels there:
// changing either clears it, so a session cannot point the route at its own server, or strip the
// protection on the way to the right one (TLS off, plain-text AUTH, a CA of its own), and receive it.
import type { SettingKey } from './fields.js';

export type BoundSecret = 'smtpPassword' | 'clientSecret' | 'clientCertificate' | 'imapPassword' | 'googleServiceAccountKey';

// Microsoft's sign-in: the tenant and the app, the cloud whose authority receives the credential,
// and the CA a TLS-inspecting proxy is trusted with.
const MICROSOFT_SIGN_IN: readonly SettingKey[] = ['tenantId', 'clientId', 'microsoftCloud', 'microsoftCaCertificate'];

/**
 * Each secret and the settings that say where and how it is sent. The IMAP mailbox trusts the
 * SMTP route's CA (smtpCaCertificate), and implicit TLS or STARTTLS follows its port.
 */
export const SECRET_BINDINGS: Record<BoundSecret, readonly SettingKey[]> = {
  smtpPassword: ['smtpHost', 'smtpPort', 'smtpUser', 'startTls', 'allowPlaintextAuth', 'smtpCaCertificate'],
  clientSecret: MICROSOFT_SIGN_IN,
  clientCertificate: MICROSOFT_SIGN_IN,
  imapPassword: ['imapHost', 'imapPort', 'imapUser', 'smtpCaCertificate'],
  // The key goes only to Google's token endpoint, but the tokens it gets (a whole mailbox, for an
  // hour) go to the SMTP and IMAP servers: bound to where and how those are reached.
  googleServiceAccountKey: ['smtpHost', 'smtpPort', 'startTls', 'allowPlaintextAuth', 'smtpCaCertificate', 'imapHost', 'imapPort'],
};

/** The secrets a change of this setting clears. */
export function secretsBoundTo(key: SettingKey): BoundSecret[] {
  return (Object.entries(SECRET_BINDINGS) as [BoundSecret, readonly SettingKey[]][]).filter(([, keys]) => keys.includes(key)).map(([secret]) => secret);
}

/** A secret cleared by a save, and the settings whose change cleared it. */
export interface ClearedSecret {
  key: BoundSecret;
  because: SettingKey[];
  message: string;
}

export function clearedMessage(key: BoundSecret, because: SettingKey[]): string {
  return `${key} was cleared because ${because.join(', ')} changed: it was saved for the old value, so it is never sent elsewhere or less protected; enter it again`;
}
