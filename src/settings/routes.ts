// Which way out the settings choose: the one place that reads useGraph/useOAuth/useGoogleServiceAccount to decide it,
// for the transports, the problems, the connection test, drafts, the console, and what the route can carry at hand-over.
import type { EmailSettings, RouteKind, SettingKey } from './fields.js';
import { cloudOf, UPLOAD_SESSION_MIN_BYTES } from './clouds.js';

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

/** A file handed over with an e-mail: its name and its size once decoded. */
export interface CarriedFile {
  filename: string;
  bytes: number;
}

/** A file the sending route could never carry: its place among the e-mail's files, and why. */
export interface RefusedFile {
  index: number;
  message: string;
}

type CarryingSettings = Pick<EmailSettings, 'useGraph' | 'microsoftCloud'>;
type ReadSetting = <K extends keyof CarryingSettings>(key: K) => Promise<CarryingSettings[K]>;

/**
 * In a Microsoft cloud without Graph upload sessions (US Government L4/L5), a file of 3 MB or
 * more has no way into a message sent through Graph: named at hand-over rather than failed later.
 * The settings are read only when such a file is there, so an ordinary hand-over reads none.
 */
export async function filesRouteCannotCarry(files: CarriedFile[], read: ReadSetting): Promise<RefusedFile[]> {
  if (!files.some((f) => f.bytes >= UPLOAD_SESSION_MIN_BYTES) || !(await read('useGraph'))) return [];
  const cloud = cloudOf(await read('microsoftCloud'));
  if (cloud.uploadSessions) return [];
  return files
    .map((f, index) => ({ f, index }))
    .filter(({ f }) => f.bytes >= UPLOAD_SESSION_MIN_BYTES)
    .map(({ f, index }) => ({
      index,
      message: `${f.filename} is ${f.bytes} bytes: Microsoft Graph in ${cloud.title} has no upload sessions, so files of ${UPLOAD_SESSION_MIN_BYTES} bytes or more cannot be sent`,
    }));
}
