// Every setting of Configuration > Email: its key, label, help text, default and the rule a
// value must meet on its own. Rules between fields live in problems.ts, never here.
import net from 'node:net';
import { z } from 'zod';
import { CLOUD_NAMES } from './clouds.js';
import { certificateProblem } from './certificate.js';
import { secretsBoundTo } from './bindings.js';
import { pemProblem, tidyPem } from './certificates.js';
import { googleKeyProblem } from './google-key.js';

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const hostname = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const guid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const emailAddress = z
  .email({ message: 'is not a valid e-mail address' })
  .max(254, { message: 'is longer than 254 characters' });
const optionalEmail = z.union([z.literal(''), emailAddress]);
const plainText = (max: number) =>
  z.string().max(max, { message: `is longer than ${max} characters` }).refine(noControl, { message: 'contains a line break or control character' });
const int = (min: number, max: number) =>
  z
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

/** A host name or IP address, or empty. */
function hostSchema() {
  return z
    .string()
    .trim()
    .refine((h) => h === '' || hostname.test(h) || net.isIP(h) !== 0, { message: 'is not a host name or IP address' });
}

function pemSchema() {
  return z
    .string()
    .max(1_000_000, { message: 'is longer than 1000000 characters' })
    .transform(tidyPem)
    .superRefine((t, ctx) => {
      const problem = pemProblem(t);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/** The ways out a setting can serve: SMTP with a password, SMTP with XOAUTH2 (Microsoft or a Google service account), Graph, Outlook (New) drafts. */
export type RouteKind = 'smtp' | 'oauth' | 'graph' | 'google' | 'drafts';

export interface FieldSpec<T> {
  label: string;
  help: string;
  kind: 'bool' | 'string' | 'int' | 'email' | 'secret' | 'date' | 'pem';
  default: T;
  schema: z.ZodType<T>;
  /** The routes this setting matters to; absent: every route. The console dims the others. */
  routes?: RouteKind[];
  /** The values a text setting may take (the console offers them as a list). */
  choices?: readonly string[];
  /** Set by Postroom itself (derived from another setting); a change is refused. */
  readOnly?: boolean;
}

// Keeps each field's kind as a literal type, so PublicSettings can tell secrets from the rest.
const field = <T, const K extends FieldSpec<T>['kind']>(spec: FieldSpec<T> & { kind: K }) => spec;

/** In the order of the reference screen, then the additions. */
export const FIELDS = {
  enabled: field({
    label: 'Process for sending emails enabled',
    help: 'Unchecked: nothing is sent; e-mails are still accepted and wait in the queue.',
    kind: 'bool',
    default: false,
    schema: z.boolean(),
  }),
  smtpHost: field({
    label: 'SMTP host',
    help: 'The server Postroom hands e-mails to. Empty with OAuth: smtp.office365.com.',
    routes: ['smtp', 'oauth', 'google'],
    kind: 'string',
    default: '',
    schema: hostSchema(),
  }),
  smtpPort: field({
    label: 'SMTP port',
    help: '587 for STARTTLS (the usual), 465 for implicit TLS, 25 for a relay on your network.',
    routes: ['smtp', 'oauth', 'google'],
    kind: 'int',
    default: 587,
    schema: int(1, 65535),
  }),
  smtpUser: field({
    label: 'SMTP user',
    help: 'Empty: no authentication. With OAuth: the mailbox to sign in as; empty means the sender.',
    routes: ['smtp', 'oauth', 'google'],
    kind: 'string',
    default: '',
    schema: plainText(256),
  }),
  smtpPassword: field({
    label: 'SMTP password',
    help: 'For Google Workspace, an app password. Stored encrypted; never shown again.',
    routes: ['smtp'],
    kind: 'secret',
    default: '',
    schema: plainText(1024),
  }),
  useOAuth: field({
    label: 'Use OAUTH authentication (Exchange 365 only)',
    help: 'Sign in to Exchange Online SMTP with an OAuth 2.0 token (XOAUTH2) instead of a password.',
    kind: 'bool',
    default: false,
    schema: z.boolean(),
  }),
  useGraph: field({
    label: 'Use Graph API Library',
    help: 'In plain words: send through Microsoft Graph, Microsoft 365’s mail API over HTTPS, instead of SMTP: for tenants where SMTP AUTH is turned off. Cannot be combined with OAuth SMTP.',
    kind: 'bool',
    default: false,
    schema: z.boolean(),
  }),
  tenantId: field({
    label: 'Tenant ID',
    help: 'Directory (tenant) ID of your Microsoft Entra ID, from the app registration overview.',
    routes: ['oauth', 'graph', 'drafts'],
    kind: 'string',
    default: '',
    schema: z
      .string()
      .trim()
      .refine((t) => t === '' || guid.test(t) || hostname.test(t), { message: 'is not a tenant GUID or domain name' }),
  }),
  clientId: field({
    label: 'Client ID',
    help: 'Application (client) ID of the app registration.',
    routes: ['oauth', 'graph', 'drafts'],
    kind: 'string',
    default: '',
    schema: z
      .string()
      .trim()
      .refine((t) => t === '' || guid.test(t), { message: 'is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)' }),
  }),
  clientSecret: field({
    label: 'Client Secret',
    help: 'The Value of a client secret (not its ID). Stored encrypted; never shown again.',
    routes: ['oauth', 'graph', 'drafts'],
    kind: 'secret',
    default: '',
    schema: plainText(1024),
  }),
  startTls: field({
    label: 'Using the STARTTLS command',
    help: 'Checked: the connection must be encrypted with STARTTLS, or nothing is sent. Uncheck only for a relay on a trusted network.',
    routes: ['smtp', 'oauth', 'google'],
    kind: 'bool',
    default: true,
    schema: z.boolean(),
  }),
  postmaster: field({
    label: 'Mail postmaster',
    help: 'The sender of all e-mails when forced, and of e-mails that name no user.',
    kind: 'email',
    default: '',
    schema: optionalEmail,
  }),
  outlookNewAddress: field({
    label: 'E-mail address used to send e-mails with Outlook(New)',
    help: 'The mailbox where drafts are created for users of the new Outlook. Empty: the postmaster.',
    kind: 'email',
    default: '',
    schema: optionalEmail,
  }),
  forcePostmaster: field({
    label: 'Force postmaster as sender of all emails',
    help: 'Checked: every e-mail is sent from the postmaster, with the user as Reply-To. Unchecked: from the user.',
    kind: 'bool',
    default: true,
    schema: z.boolean(),
  }),
  maxRetrySeconds: field({
    label: 'Maximum time after which the system no longer sends emails in error',
    help: 'Retry window in seconds, counted from the first failed attempt. 0: never retry.',
    kind: 'int',
    default: 86400,
    schema: int(0, 31_536_000),
  }),
  campaignIntervalSeconds: field({
    label: 'Time interval between two email campaigns',
    help: 'The sending process looks for e-mails to send every this many seconds.',
    kind: 'int',
    default: 20,
    schema: int(1, 86_400),
  }),
  retentionDays: field({
    label: 'Time period (in days) for keeping emails in database',
    help: 'Sent, failed and cancelled e-mails older than this are deleted. Waiting e-mails never are.',
    kind: 'int',
    default: 30,
    schema: int(1, 3650),
  }),
  skipPendingAtStartup: field({
    label: 'At the starting, do not send the pending emails',
    help: 'In plain words: when Postroom starts (after a stop, an upgrade or a crash), the e-mails already waiting are not sent but held, until an administrator looks at them and releases them (Outbox, or postroom queue release-held). Use it when a backlog must be checked before it goes out.',
    kind: 'bool',
    default: false,
    schema: z.boolean(),
  }),
  maxMessagesPerMinute: field({
    label: 'Maximum e-mails per minute',
    help: '0: unlimited. Exchange 365 allows 30 per mailbox; Google Workspace about 2,000 a day.',
    kind: 'int',
    default: 0,
    schema: int(0, 100_000),
  }),
  smtpMaxConnections: field({
    label: 'Maximum simultaneous SMTP connections',
    help: 'Exchange answers "432 4.3.2" beyond 3 connections per mailbox.',
    routes: ['smtp', 'oauth', 'google'],
    kind: 'int',
    default: 3,
    schema: int(1, 50),
  }),
  allowPlaintextAuth: field({
    label: 'Allow a password over an unencrypted connection',
    help: 'Warning: checked, the SMTP password (or OAuth token) may cross the network in clear text when STARTTLS is unchecked, readable by anyone on the way. Unchecked: Postroom never sends it without TLS.',
    routes: ['smtp', 'oauth', 'google'],
    kind: 'bool',
    default: false,
    schema: z.boolean(),
  }),
  wakeOnHandOver: field({
    label: 'Send at once after a hand-over',
    help: 'Checked: a campaign starts as soon as an e-mail is handed over to this server, instead of at the next interval. Unchecked (the reference behaviour): e-mails wait for the next campaign.',
    kind: 'bool',
    default: false,
    schema: z.boolean(),
  }),
  clientSecretExpiresAt: field({
    label: 'Client secret expires on',
    help: 'The expiry date chosen when the secret was made; warnings start 30 days before.',
    routes: ['oauth', 'graph', 'drafts'],
    kind: 'date',
    default: '',
    schema: z.union([
      z.literal(''),
      z.iso.date({ message: 'is not a date (YYYY-MM-DD)' }),
    ]),
  }),
  // Microsoft 365 as the real service behaves (issue 12): cloud, certificate credential, drafts.
  microsoftCloud: field({
    label: 'Microsoft cloud',
    help: 'worldwide, gcc-high (US Government GCC High), dod (US Government DoD) or china (21Vianet): sign-in, Graph and SMTP endpoints and scopes all follow.',
    routes: ['oauth', 'graph', 'drafts'],
    kind: 'string',
    choices: CLOUD_NAMES,
    default: 'worldwide',
    schema: z.string().refine((v) => (CLOUD_NAMES as readonly string[]).includes(v), { message: `must be one of ${CLOUD_NAMES.join(', ')}` }),
  }),
  clientCertificate: field({
    label: 'Client certificate',
    help: 'Instead of a client secret: the PEM certificate uploaded to the app registration, followed by its PEM private key. Stored encrypted; never shown again.',
    routes: ['oauth', 'graph', 'drafts'],
    kind: 'secret',
    default: '',
    schema: z.string().max(32_768, { message: 'is longer than 32768 characters' }).superRefine((v, ctx) => {
      const problem = v === '' ? null : certificateProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  }),
  clientCertificateExpiresAt: field({
    label: 'Client certificate expires on',
    help: 'Read from the certificate when it is saved; warnings start 30 days before.',
    routes: ['oauth', 'graph', 'drafts'],
    kind: 'date',
    readOnly: true,
    default: '',
    schema: z.union([z.literal(''), z.iso.date({ message: 'is not a date (YYYY-MM-DD)' })]),
  }),
  outlookNewDraftsIn: field({
    label: 'Outlook (New) drafts in',
    help: "sender-mailbox: in the Outlook (New) address (else the postmaster), whose users need Full Access and Send As. user-mailbox: in the user's own mailbox when it is one of the tenant, else the sender mailbox.",
    routes: ['drafts'],
    kind: 'string',
    choices: ['sender-mailbox', 'user-mailbox'],
    default: 'sender-mailbox',
    schema: z.enum(['sender-mailbox', 'user-mailbox'], { message: 'must be sender-mailbox or user-mailbox' }),
  }),
  // Private certificate authorities, trusted for one route besides the system's CAs: no restart
  // and no NODE_EXTRA_CA_CERTS needed.
  smtpCaCertificate: field({
    label: "SMTP server's CA certificate",
    help: "For a relay whose certificate comes from your company's own CA: paste that CA's certificate (PEM). Trusted for the SMTP route only, besides the system's CAs. Empty: the system's CAs only.",
    routes: ['smtp', 'oauth', 'google'],
    kind: 'pem',
    default: '',
    schema: pemSchema(),
  }),
  microsoftCaCertificate: field({
    label: "CA certificate of a proxy in front of Microsoft",
    help: "For a TLS-inspecting proxy between Postroom and Microsoft's sign-in and Graph endpoints: paste the proxy's CA certificate (PEM). Trusted for those connections only, besides the system's CAs.",
    routes: ['oauth', 'graph', 'drafts'],
    kind: 'pem',
    default: '',
    schema: pemSchema(),
  }),
  // Bounce processing (issue 20): the postmaster's mailbox, where delivery reports arrive.
  bounceProcessing: field({
    label: "Read bounces from the postmaster's mailbox",
    help: "Checked: delivery reports that arrive in the postmaster's mailbox (bounces, delay notices) are matched to their e-mails and recipients. Postroom only moves the reports it reads to Postroom/Processed or Postroom/Unmatched; it never deletes anything, and a mailbox it cannot read never stops sending.",
    kind: 'bool',
    default: false,
    schema: z.boolean(),
  }),
  imapHost: field({
    label: 'IMAP host',
    help: 'The server of the postmaster\'s mailbox. Empty: from the route (outlook.office365.com with OAuth, imap.gmail.com for Google, else the SMTP host). Not used with Microsoft Graph, which reads the mailbox itself.',
    routes: ['smtp', 'oauth', 'google'],
    kind: 'string',
    default: '',
    schema: hostSchema(),
  }),
  imapPort: field({
    label: 'IMAP port',
    help: '993 for implicit TLS (the usual); any other port must offer STARTTLS, or the mailbox is not read.',
    routes: ['smtp', 'oauth', 'google'],
    kind: 'int',
    default: 993,
    schema: int(1, 65535),
  }),
  imapUser: field({
    label: 'IMAP user',
    help: 'Empty: the SMTP user (with OAuth, the postmaster mailbox).',
    routes: ['smtp', 'oauth', 'google'],
    kind: 'string',
    default: '',
    schema: plainText(256),
  }),
  imapPassword: field({
    label: 'IMAP password',
    help: "Empty: the SMTP password, on the SMTP server's own IMAP host only. Stored encrypted; never shown again.",
    routes: ['smtp'],
    kind: 'secret',
    default: '',
    schema: plainText(1024),
  }),
  bounceCheckIntervalSeconds: field({
    label: 'Check the mailbox every (seconds)',
    help: "How often the postmaster's mailbox is read for new delivery reports. Each check reads only what arrived since the last one.",
    kind: 'int',
    default: 300,
    schema: int(5, 86_400),
  }),
  useGoogleServiceAccount: field({
    label: 'Use a Google service account (Google Workspace)',
    help: 'Sign in to Gmail SMTP (smtp.gmail.com:587 unless SMTP host and port say otherwise) with a token of a service account that has domain-wide delegation, sending as the SMTP user or else the postmaster. No password.',
    kind: 'bool',
    default: false,
    schema: z.boolean(),
  }),
  googleServiceAccountKey: field({
    label: 'Google service account key (JSON)',
    help: 'The JSON key file of the service account, as Google gives it (IAM & Admin > Service accounts > Keys > Add key > JSON). Stored encrypted; never shown again.',
    routes: ['google'],
    kind: 'secret',
    default: '',
    schema: z.string().max(16_384, { message: 'is longer than 16384 characters' }).superRefine((v, ctx) => {
      const problem = v === '' ? null : googleKeyProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  }),
  googleServiceAccount: field({
    label: 'Google service account',
    help: 'Read from the key when it is saved: the service account, its client ID (the one to grant domain-wide delegation to) and the key.',
    routes: ['google'],
    kind: 'string',
    readOnly: true,
    default: '',
    schema: plainText(400),
  }),
} as const;

export type SettingKey = keyof typeof FIELDS;
export type SettingValue<K extends SettingKey> = (typeof FIELDS)[K]['default'] extends boolean
  ? boolean
  : (typeof FIELDS)[K]['default'] extends number
    ? number
    : string;

/** The settings as the sending process uses them: secrets in the clear (empty when unset). */
export type EmailSettings = { [K in SettingKey]: SettingValue<K> };

export const SETTING_KEYS = Object.keys(FIELDS) as SettingKey[];
export const SECRET_KEYS = SETTING_KEYS.filter((k) => FIELDS[k].kind === 'secret');

export const isSettingKey = (k: string): k is SettingKey => Object.hasOwn(FIELDS, k);
export const isSecretKey = (k: SettingKey): boolean => FIELDS[k].kind === 'secret';

export function defaultSettings(): EmailSettings {
  const out = {} as Record<SettingKey, unknown>;
  for (const k of SETTING_KEYS) out[k] = FIELDS[k].default;
  return out as EmailSettings;
}

export interface FieldInfo {
  key: SettingKey;
  label: string;
  help: string;
  kind: FieldSpec<unknown>['kind'];
  default: unknown;
  routes: RouteKind[];
  choices?: readonly string[];
  readOnly?: boolean;
  /** The secrets that saving a new value here clears (they were stored for the old value). */
  clearsSecrets?: SettingKey[];
}

/** What a form needs to draw Configuration > Email, in screen order; the rules stay server-side. */
export function fieldCatalogue(): FieldInfo[] {
  const every: RouteKind[] = ['smtp', 'oauth', 'graph', 'google', 'drafts'];
  return SETTING_KEYS.map((key) => {
    const f: FieldSpec<unknown> = FIELDS[key];
    const clears = secretsBoundTo(key);
    return {
      key,
      label: f.label,
      help: f.help,
      kind: f.kind,
      default: f.default,
      routes: f.routes ?? every,
      ...(f.choices ? { choices: f.choices } : {}),
      ...(f.readOnly ? { readOnly: true } : {}),
      ...(clears.length ? { clearsSecrets: clears } : {}),
    };
  });
}
