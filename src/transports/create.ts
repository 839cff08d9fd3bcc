// Building the route the settings choose, and what it depends on (a change rebuilds it).
import { googleDelegatedUser, routeKind, type EmailSettings } from '../settings/index.js';
import type { Route } from './route.js';
import { createSmtpRoute, SMTP_HINTS, type RouteOptions as SmtpRouteOptions, type SmtpRoute, type XOAuth2Tokens } from './smtp/index.js';
import { createGraphRoute } from './graph.js';
import { credentialsOf, microsoftEndpoints, tokenProviderFor, type MicrosoftEndpoints } from './oauth.js';
import { mailboxSlotsFor, type MailboxSlots } from './graph-slots.js';
import { microsoftTrust, smtpTrust } from './trust.js';
import { GMAIL_SCOPE, GMAIL_SMTP_HOST, googleTokenProviderFor } from './google.js';

/** Options of every route: SMTP's (extra CA, timeouts), and Graph's per-mailbox slots (set by openPostroom). */
export type RouteOptions = SmtpRouteOptions & { graphSlots?: MailboxSlots };
/**
 * The Microsoft endpoints for these settings: given ones (a test stand-in) or the cloud's, with
 * POSTROOM_MS_LOGIN_URL / POSTROOM_GRAPH_URL / POSTROOM_MS_SMTP_SCOPE pointing them elsewhere.
 */
export function endpointsFor(settings: Pick<EmailSettings, 'microsoftCloud'>, given?: MicrosoftEndpoints): MicrosoftEndpoints {
  return given ?? microsoftEndpoints(process.env, settings.microsoftCloud);
}

/**
 * The route the settings choose. Call only with a complete configuration (no problems). `tokens`:
 * the token provider to use (Test connection's, which has just fetched one), else a new one.
 */
export function createRoute(settings: EmailSettings, options: RouteOptions = {}, given?: MicrosoftEndpoints, tokens?: XOAuth2Tokens): Route {
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
    const provider = tokens ?? tokenProviderFor(credentials, endpoints, microsoftCa);
    // Empty SMTP host: Exchange Online's submission host in the chosen cloud.
    return createSmtpRoute({ ...settings, smtpHost: settings.smtpHost || endpoints.smtpHost }, smtpOptions, { provider, scope: endpoints.smtpScope });
  }
  if (kind === 'google') {
    // The service account acts as one user: the SMTP user, else the postmaster. Empty SMTP host: Gmail's.
    const user = googleDelegatedUser(settings);
    const provider = tokens ?? googleTokenProviderFor(settings.googleServiceAccountKey, user, options.ca);
    // Gmail answers a refused XOAUTH2 sign-in with 535 5.7.8: its usual causes with a service account.
    return createSmtpRoute(settings, smtpOptions, { provider, scope: GMAIL_SCOPE, user, defaultHost: GMAIL_SMTP_HOST, refusedHelp: SMTP_HINTS.gmail535 });
  }
  return createSmtpRoute(settings, smtpOptions);
}

/** An SMTP route (any but Graph): it runs Test connection's walk. */
export const isSmtpRoute = (route: Route): route is SmtpRoute => 'diagnose' in route;

/** What a route depends on: when this changes, the pooled route is closed and rebuilt. */
export function routeFingerprint(s: EmailSettings): string {
  return JSON.stringify([
    s.useGraph, s.useOAuth, s.useGoogleServiceAccount, s.googleServiceAccountKey, s.smtpHost, s.smtpPort, s.smtpUser, s.smtpPassword, s.startTls, s.allowPlaintextAuth, s.smtpMaxConnections,
    s.tenantId, s.clientId, s.clientSecret, s.clientCertificate, s.microsoftCloud, s.postmaster, s.forcePostmaster,
    s.smtpCaCertificate, s.microsoftCaCertificate,
  ]);
}
