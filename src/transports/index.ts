// Sending routes behind one interface: SMTP with a password (or none), SMTP with XOAUTH2 and a
// Microsoft token, and Microsoft Graph.
import type { EmailSettings } from '../settings/index.js';
import type { Route } from './route.js';
import { createSmtpRoute, type RouteOptions } from './smtp.js';
import { createGraphRoute } from './graph.js';
import { microsoftEndpoints, tokenProviderFor, type MicrosoftEndpoints } from './oauth.js';
import { microsoftTrust, smtpTrust } from './trust.js';

export { DeliveryError, type Route, type RouteName, type DeliveryReport, type RejectedRecipient, type FailureKind, type FailureScope } from './route.js';
export { classifySmtpError } from './smtp-errors.js';
export { diagnoseSmtp, type Diagnosis, type DiagnosisStep } from './smtp-diagnose.js';
export type { RouteOptions, SmtpTimeouts } from './smtp.js';
export { EXCHANGE_SMTP_HOST } from './smtp.js';
export { microsoftEndpoints, tokenProviderFor, TokenProvider, type MicrosoftEndpoints, type OAuthCredentials } from './oauth.js';
export { readAadsts } from './aadsts.js';
export { smtpTrust, microsoftTrust } from './trust.js';
export { GraphClient, graphFailure, splitForGraph, type Draft, type GraphConfig } from './graph-client.js';

/** The route the settings choose. Call only with a complete configuration (no problems). */
export function createRoute(settings: EmailSettings, options: RouteOptions = {}, endpoints: MicrosoftEndpoints = microsoftEndpoints()): Route {
  const { tenantId, clientId, clientSecret } = settings;
  const microsoftCa = microsoftTrust(settings, options.ca);
  const smtpOptions = { ...options, ca: smtpTrust(settings, options.ca) };
  if (settings.useGraph) {
    const provider = tokenProviderFor({ tenantId, clientId, clientSecret }, endpoints, microsoftCa);
    return createGraphRoute({ graphUrl: endpoints.graphUrl, scope: endpoints.graphScope, provider, ca: microsoftCa });
  }
  if (settings.useOAuth) {
    const provider = tokenProviderFor({ tenantId, clientId, clientSecret }, endpoints, microsoftCa);
    return createSmtpRoute(settings, smtpOptions, { provider, scope: endpoints.smtpScope });
  }
  return createSmtpRoute(settings, smtpOptions);
}

/** What a route depends on: when this changes, the pooled route is closed and rebuilt. */
export function routeFingerprint(s: EmailSettings): string {
  return JSON.stringify([s.useGraph, s.useOAuth, s.smtpHost, s.smtpPort, s.smtpUser, s.smtpPassword, s.startTls, s.smtpMaxConnections, s.tenantId, s.clientId, s.clientSecret, s.smtpCaCertificate, s.microsoftCaCertificate]);
}
