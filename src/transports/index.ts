// Sending routes behind one interface: SMTP with a password (or none), SMTP with XOAUTH2 and a
// Microsoft token, and Microsoft Graph.
import { googleDelegatedUser, routeKind, type EmailSettings } from '../settings/index.js';
import type { Route } from './route.js';
import { createSmtpRoute, type RouteOptions as SmtpRouteOptions } from './smtp.js';
import { createGraphRoute } from './graph.js';
import { credentialsOf, microsoftEndpoints, tokenProviderFor, type MicrosoftEndpoints } from './oauth.js';
import { mailboxSlotsFor, type MailboxSlots } from './graph-slots.js';
import { microsoftTrust, smtpTrust } from './trust.js';
import { GMAIL_SCOPE, GMAIL_SMTP_HOST, googleTokenProviderFor } from './google.js';

export { DeliveryError, type Route, type RouteName, type DeliveryReport, type RejectedRecipient, type FailureKind, type FailureScope } from './route.js';
export { classifySmtpError } from './smtp-errors.js';
export { diagnoseSmtp, checkSmtpRoute, type Diagnosis, type DiagnosisStep } from './smtp-diagnose.js';
export { stepDetailIn } from './diagnose-words.js';
export type { SmtpTimeouts } from './smtp.js';

/** Options of every route: SMTP's (extra CA, timeouts), and Graph's per-mailbox slots (set by openPostroom). */
export type RouteOptions = SmtpRouteOptions & { graphSlots?: MailboxSlots };
export { EXCHANGE_SMTP_HOST } from './smtp.js';
export { microsoftEndpoints, tokenProviderFor, tokenRoles, credentialsOf, TokenProvider, type MicrosoftEndpoints, type OAuthCredentials } from './oauth.js';
export { readAadsts } from './aadsts.js';
export { smtpTrust, microsoftTrust } from './trust.js';
export { parseJson, type HttpsAnswer } from './https.js';
export { GraphClient, graphFailure, planAttachments, needsDraft, type AttachmentPlan, type Draft, type GraphConfig } from './graph-client.js';
export { missingGraphPermissions } from './graph.js';
export { mailboxSlotsFor, withSlot, ProcessSlots, DatabaseSlots, GRAPH_SLOTS_PER_MAILBOX, type MailboxSlots } from './graph-slots.js';
export { exchangeSmtpAdvice } from './exchange-advice.js';
export { GoogleTokenProvider, googleTokenProviderFor, googleTokenUrl, GMAIL_SCOPE, GMAIL_SMTP_HOST, GMAIL_IMAP_HOST, GOOGLE_TOKEN_URL } from './google.js';

// Gmail answers a refused XOAUTH2 sign-in with 535 5.7.8; its usual causes with a service account.
export const GMAIL_535_HELP =
  'check that domain-wide delegation grants the service account\'s client ID the scope https://mail.google.com/, ' +
  'that the user is a mailbox of the Workspace domain (the SMTP user, else the postmaster), and that the tokens are for that user';

/**
 * The Microsoft endpoints for these settings: given ones (a test stand-in) or the cloud's, with
 * POSTROOM_MS_LOGIN_URL / POSTROOM_GRAPH_URL / POSTROOM_MS_SMTP_SCOPE pointing them elsewhere.
 */
export function endpointsFor(settings: Pick<EmailSettings, 'microsoftCloud'>, given?: MicrosoftEndpoints): MicrosoftEndpoints {
  return given ?? microsoftEndpoints(process.env, settings.microsoftCloud);
}

/** The route the settings choose. Call only with a complete configuration (no problems). */
export function createRoute(settings: EmailSettings, options: RouteOptions = {}, given?: MicrosoftEndpoints): Route {
  const endpoints = endpointsFor(settings, given);
  const credentials = credentialsOf(settings);
  const kind = routeKind(settings);
  // The CA certificates set on Configuration > Email, each for its own connections.
  const microsoftCa = microsoftTrust(settings, options.ca);
  const smtpOptions = { ...options, ca: smtpTrust(settings, options.ca) };
  if (kind === 'graph') {
    const provider = tokenProviderFor(credentials, endpoints, microsoftCa);
    return createGraphRoute({
      graphUrl: endpoints.graphUrl,
      scope: endpoints.graphScope,
      provider,
      ca: microsoftCa,
      uploadSessions: endpoints.uploadSessions,
      postmaster: settings.forcePostmaster ? settings.postmaster : undefined,
      slots: options.graphSlots ?? mailboxSlotsFor(undefined),
    });
  }
  if (kind === 'oauth') {
    const provider = tokenProviderFor(credentials, endpoints, microsoftCa);
    // Empty SMTP host: Exchange Online's submission host in the chosen cloud.
    return createSmtpRoute({ ...settings, smtpHost: settings.smtpHost || endpoints.smtpHost }, smtpOptions, { provider, scope: endpoints.smtpScope });
  }
  if (kind === 'google') {
    // The service account acts as one user: the SMTP user, else the postmaster. Empty SMTP host: Gmail's.
    const user = googleDelegatedUser(settings);
    const provider = googleTokenProviderFor(settings.googleServiceAccountKey, user, options.ca);
    return createSmtpRoute(settings, smtpOptions, { provider, scope: GMAIL_SCOPE, user, defaultHost: GMAIL_SMTP_HOST, refusedHelp: GMAIL_535_HELP });
  }
  return createSmtpRoute(settings, smtpOptions);
}

/** What a route depends on: when this changes, the pooled route is closed and rebuilt. */
export function routeFingerprint(s: EmailSettings): string {
  return JSON.stringify([
    s.useGraph, s.useOAuth, s.useGoogleServiceAccount, s.googleServiceAccountKey, s.smtpHost, s.smtpPort, s.smtpUser, s.smtpPassword, s.startTls, s.allowPlaintextAuth, s.smtpMaxConnections,
    s.tenantId, s.clientId, s.clientSecret, s.clientCertificate, s.microsoftCloud, s.postmaster, s.forcePostmaster,
    s.smtpCaCertificate, s.microsoftCaCertificate,
  ]);
}
