// Which way out the settings choose: the one place that reads useGraph/useOAuth/useGoogleServiceAccount to decide it,
// for the transports, the problems, the connection test, drafts and (through the view) the console.
import type { EmailSettings, RouteKind, SettingKey } from './fields.js';

/** A route that sends: SMTP with a password (or none), SMTP with XOAUTH2 (Microsoft or Google), Microsoft Graph. */
export type SendingRoute = Exclude<RouteKind, 'drafts'>;

type RouteBoxes = Pick<EmailSettings, 'useGraph' | 'useOAuth'> & Partial<Pick<EmailSettings, 'useGoogleServiceAccount'>>;

/** The sending route. With several boxes checked (a problem that stops sending) Graph, then Microsoft OAuth, is the one named. */
export function routeKind(s: RouteBoxes): SendingRoute {
  if (s.useGraph) return 'graph';
  if (s.useOAuth) return 'oauth';
  if (s.useGoogleServiceAccount) return 'google';
  return 'smtp';
}

/** The boxes that choose a route, checked: more than one is a problem. */
export const routeBoxesChecked = (s: RouteBoxes): ('useGraph' | 'useOAuth' | 'useGoogleServiceAccount')[] =>
  (['useOAuth', 'useGraph', 'useGoogleServiceAccount'] as const).filter((k) => s[k]);

/** The user a Google service account acts as (the JWT's sub, the XOAUTH2 user): the SMTP user, else the postmaster. */
export const googleDelegatedUser = (s: Pick<EmailSettings, 'smtpUser' | 'postmaster'>): string => s.smtpUser || s.postmaster;

/** Every route the settings put to use: the sending one, and drafts once an Outlook (New) mailbox is named. */
export function activeRoutes(s: RouteBoxes & Pick<EmailSettings, 'outlookNewAddress'>): RouteKind[] {
  return s.outlookNewAddress ? [routeKind(s), 'drafts'] : [routeKind(s)];
}

/** The app registration's credentials, needed by every Microsoft route and by drafts. */
export const MICROSOFT_APP_KEYS = ['tenantId', 'clientId', 'clientSecret'] as const satisfies readonly SettingKey[];

export const needsMicrosoftApp = (s: RouteBoxes & Pick<EmailSettings, 'outlookNewAddress'>): boolean =>
  activeRoutes(s).some((r) => r !== 'smtp' && r !== 'google');

/** What the app registration still lacks; a client certificate stands in for the client secret. */
export function missingMicrosoftApp(s: Pick<EmailSettings, (typeof MICROSOFT_APP_KEYS)[number] | 'clientCertificate'>): (typeof MICROSOFT_APP_KEYS)[number][] {
  return MICROSOFT_APP_KEYS.filter((k) => !s[k] && !(k === 'clientSecret' && s.clientCertificate));
}

/** The mailbox Outlook (New) drafts are created in: outlookNewAddress, else the postmaster. */
export const draftsMailbox = (s: Pick<EmailSettings, 'outlookNewAddress' | 'postmaster'>): string => s.outlookNewAddress || s.postmaster;
