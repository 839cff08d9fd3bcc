// Rules between settings. They never block a save: they make the configuration incomplete,
// and an incomplete configuration sends nothing (e-mails wait, none is lost).
import { FIELDS, type EmailSettings, type SettingKey } from './fields.js';
import { googleDelegatedUser, needsMicrosoftApp, routeBoxesChecked, routeKind } from './routes.js';
import { bounceMailbox } from './mailbox.js';

export interface Problem {
  key: SettingKey;
  message: string;
}

const label = (k: SettingKey) => FIELDS[k].label;

export function findProblems(s: EmailSettings): Problem[] {
  const problems: Problem[] = [];
  const add = (key: SettingKey, message: string) => problems.push({ key, message });

  const checked = routeBoxesChecked(s);
  if (checked.length > 1) {
    const [first, second] = checked as [SettingKey, SettingKey];
    add(second, `"${label(first)}" and "${label(second)}" cannot both be checked: choose one route`);
  }
  const route = routeKind(s);
  const microsoft = route === 'oauth' || route === 'graph';
  const why = `"${label(route === 'oauth' ? 'useOAuth' : 'useGraph')}" is checked`;
  if (microsoft) {
    if (!s.tenantId) add('tenantId', `Tenant ID is required when ${why}`);
    if (!s.clientId) add('clientId', `Client ID is required when ${why}`);
    if (!s.clientSecret && !s.clientCertificate) add('clientSecret', `Client Secret (or Client certificate) is required when ${why}`);
  }
  if (route === 'google') {
    const google = `"${label('useGoogleServiceAccount')}" is checked`;
    if (!s.googleServiceAccountKey) add('googleServiceAccountKey', `Google service account key (JSON) is required when ${google}`);
    // The mailbox the service account acts as (domain-wide delegation's subject).
    if (!googleDelegatedUser(s)) add('postmaster', `Mail postmaster (or SMTP user) is required when ${google}`);
  }
  if (route === 'smtp') {
    if (!s.smtpHost) add('smtpHost', 'SMTP host is required to send by SMTP');
    if (s.smtpUser && !s.smtpPassword) add('smtpPassword', `SMTP password is required when SMTP user is set`);
  }
  // A password or token is never sent in clear text unless the administrator allowed it.
  const token = route === 'oauth' || route === 'google';
  if (!s.useGraph && (token || s.smtpUser) && !s.startTls && s.smtpPort !== 465 && !s.allowPlaintextAuth) {
    add(
      'startTls',
      `"${label('startTls')}" is unchecked on port ${s.smtpPort}, so the ${token ? 'OAuth token' : 'SMTP password'} would cross the network unencrypted: check it (or use port 465), or check "${label('allowPlaintextAuth')}"`,
    );
  }
  if (s.forcePostmaster && !s.postmaster) {
    add('postmaster', `Mail postmaster is required when "${label('forcePostmaster')}" is checked`);
  }
  return problems;
}

/**
 * Warnings that do not stop sending: a client secret or certificate that expires within 30 days
 * (or has expired), and a postmaster's mailbox bounce processing cannot read.
 */
export function findWarnings(s: EmailSettings, now = Date.now()): Problem[] {
  const warnings: Problem[] = [];
  // A mailbox that cannot be read never stops sending: a warning, not a problem.
  if (s.bounceProcessing) warnings.push(...bounceMailbox(s).problems);
  const days = secretDaysLeft(s, now);
  if (days !== null && days <= 30) {
    const message =
      days < 0
        ? `the client secret expired on ${s.clientSecretExpiresAt}: create a new one in Certificates & secrets and paste its Value here`
        : `the client secret expires on ${s.clientSecretExpiresAt} (in ${days} day${days === 1 ? '' : 's'}): create a new one in Certificates & secrets before then`;
    warnings.push({ key: 'clientSecretExpiresAt', message });
  }
  const certDays = certificateDaysLeft(s, now);
  if (certDays !== null && certDays <= 30) {
    const at = s.clientCertificateExpiresAt;
    const message =
      certDays < 0
        ? `the client certificate expired on ${at}: make a new one, upload its certificate in Certificates & secrets and save it with its key in Client certificate`
        : `the client certificate expires on ${at} (in ${certDays} day${certDays === 1 ? '' : 's'}): make a new one and upload it in Certificates & secrets before then`;
    warnings.push({ key: 'clientCertificate', message });
  }
  return warnings;
}

/** Whole days until the stored client certificate expires; null without one or a Microsoft route. */
export function certificateDaysLeft(s: Pick<EmailSettings, 'clientCertificateExpiresAt' | 'useOAuth' | 'useGraph' | 'outlookNewAddress'>, now = Date.now()): number | null {
  if (!s.clientCertificateExpiresAt || !(s.useOAuth || s.useGraph || s.outlookNewAddress)) return null;
  return Math.floor((Date.parse(`${s.clientCertificateExpiresAt}T00:00:00Z`) - now) / 86_400_000);
}

/** Whole days until the recorded client-secret expiry; null when no date or no Microsoft route. */
export function secretDaysLeft(s: Pick<EmailSettings, 'clientSecretExpiresAt' | 'useOAuth' | 'useGraph' | 'outlookNewAddress'>, now = Date.now()): number | null {
  if (!s.clientSecretExpiresAt || !needsMicrosoftApp(s)) return null;
  return Math.floor((Date.parse(`${s.clientSecretExpiresAt}T00:00:00Z`) - now) / 86_400_000);
}
