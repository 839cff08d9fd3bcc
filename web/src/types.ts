// The shapes the console reads from Postroom's API: aliases of the types generated from the
// server's OpenAPI document (api-types.ts, `npm run gen:api`), so they cannot drift from it.
import type { components } from './api-types';

type Schemas = components['schemas'];

export type FieldInfo = Schemas['FieldInfo'];
export type FieldKind = FieldInfo['kind'];
export type RouteKind = Schemas['RouteKind'];
export type SecretState = Schemas['SecretState'];
export type Problem = Schemas['Problem'];
export type SettingValue = boolean | number | string | SecretState;
/** The settings as the generated type has them, walked by key (from the field catalogue) on the screen. */
export type SettingsView = Omit<Schemas['SettingsView'], 'settings'> & {
  settings: Schemas['SettingsView']['settings'] & Record<string, SettingValue>;
};
export type Preset = Schemas['Preset'];
export type TestStep = Schemas['TestStep'];
export type ConnectionTest = Schemas['ConnectionTest'];
export type TestEmailOutcome = Schemas['TestEmailOutcome'];

export type EmailStatus = Schemas['EmailStatus'];
export const STATUSES: readonly EmailStatus[] = ['pending', 'sending', 'sent', 'error', 'failed', 'held', 'cancelled', 'bounced'];
export type Address = Schemas['Address'];
export type EmailSummary = Schemas['EmailSummary'];
export type Attempt = Schemas['Attempt'];
export type EmailDetail = Schemas['EmailDetail'];
export type EmailPage = Schemas['EmailPage'];
export type HourTally = Schemas['HourTally'];
export type User = Schemas['User'];
export type AuditEntry = Schemas['AuditEntry'];
export type TokenInfo = Schemas['TokenInfo'];
export type SendingState = Schemas['SendingState'];
export type Recipient = Schemas['Recipient'];
export type DeliveryReport = Schemas['DeliveryReport'];
export type MailboxCheck = Schemas['MailboxCheck'];
export type CertificateInfo = Schemas['CertificateInfo'];
