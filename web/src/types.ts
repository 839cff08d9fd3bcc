// The shapes the console reads from Postroom's API (see /api/v1/openapi.json).

export type FieldKind = 'bool' | 'string' | 'int' | 'email' | 'secret' | 'date' | 'pem';
export type RouteKind = 'smtp' | 'oauth' | 'graph' | 'drafts';
export type SettingValue = boolean | number | string | SecretState;

export interface FieldInfo {
  key: string;
  label: string;
  help: string;
  kind: FieldKind;
  default: unknown;
  routes: RouteKind[];
}

export interface SecretState {
  set: boolean;
  updatedAt: string | null;
}

export interface Problem {
  key: string;
  message: string;
}

export interface SettingsView {
  settings: Record<string, SettingValue>;
  problems: Problem[];
  warnings: Problem[];
  /** Subject, issuer and expiry of what each PEM setting holds. */
  certificates?: Record<string, CertificateInfo[]>;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  expiresAt: string;
  isCA: boolean;
}

export interface Preset {
  name: string;
  title: string;
  values: Record<string, boolean | number | string>;
  next: string;
}

export interface TestStep {
  step: string;
  ok: boolean;
  detail: string;
}

export interface ConnectionTest {
  ok: boolean;
  route: string;
  steps: TestStep[];
}

export interface TestEmailOutcome {
  ok: boolean;
  route: string;
  reply: string;
}

export const STATUSES = ['pending', 'sending', 'sent', 'error', 'failed', 'held', 'cancelled'] as const;
export type EmailStatus = (typeof STATUSES)[number];

export interface Address {
  email: string;
  name?: string;
}

export interface EmailSummary {
  id: number;
  status: EmailStatus;
  messageId: string;
  createdAt: string;
  sender: Address | null;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  subject: string;
  attempts: number;
  nextAttemptAt: string | null;
  finishedAt: string | null;
  lastReplyCode: number | null;
  lastReply: string | null;
  rejectedRecipients: { recipient: string; code: number | null; reply: string }[];
  source: string;
}

export interface Attempt {
  startedAt: string;
  finishedAt: string;
  route: string;
  outcome: 'sent' | 'transient' | 'permanent' | 'interrupted';
  replyCode: number | null;
  reply: string | null;
  instance: string;
}

export interface EmailDetail extends EmailSummary {
  text: string | null;
  html: string | null;
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string; size: number }[];
  attemptLog: Attempt[];
}

export interface EmailPage {
  items: EmailSummary[];
  nextCursor: string | null;
}

export interface HourTally {
  hour: string;
  sent: number;
  failed: number;
}

export interface User {
  id: string;
  email: string;
  name: string;
  emailSoftware: 'server' | 'outlook-new';
  updatedAt: string;
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

export interface TokenInfo {
  id: number;
  name: string;
  prefix: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
