// Which routes are in use (the server decides, in the settings view), and so which fields matter
// now: the others are dimmed on the screen (still editable: an administrator may prepare a switch).
import i18next from '../i18n';
import type { FieldInfo, RouteKind, SettingsView } from '../types';

export function activeRoutes(view: SettingsView): Set<RouteKind> {
  return new Set(view.routes);
}

/** Catalogue keys of the routes' names. */
export const ROUTE_NAMES: Record<RouteKind, string> = {
  smtp: 'route.smtp',
  oauth: 'route.oauth',
  graph: 'route.graph',
  google: 'route.google',
  drafts: 'route.drafts',
};

/** Why a field is dimmed, or null when it serves a route in use. */
export function unusedBecause(field: FieldInfo, active: Set<RouteKind>): string | null {
  if (field.routes.some((r) => active.has(r))) return null;
  const sending = [...active].filter((r) => r !== 'drafts').map((r) => i18next.t(ROUTE_NAMES[r]));
  return i18next.t('config.notUsedBy', { routes: new Intl.ListFormat(i18next.language, { type: 'conjunction' }).format(sending) });
}

/**
 * Each route's own settings, in the order a person filling that route goes through them (its guide's
 * order): what it connects to, how it signs in, who it sends as, what it trusts. The box that chooses a
 * route heads its group; SMTP is what is left when none is checked.
 */
const MICROSOFT_APP = ['tenantId', 'clientId', 'clientSecret', 'clientSecretExpiresAt', 'clientCertificate', 'clientCertificateExpiresAt', 'microsoftCloud'];
export const ROUTE_FIELDS: Record<RouteKind, string[]> = {
  smtp: ['smtpHost', 'smtpPort', 'startTls', 'smtpUser', 'smtpPassword', 'postmaster', 'smtpCaCertificate'],
  oauth: ['useOAuth', ...MICROSOFT_APP, 'smtpHost', 'smtpPort', 'startTls', 'smtpUser', 'postmaster', 'smtpCaCertificate', 'microsoftCaCertificate'],
  graph: ['useGraph', ...MICROSOFT_APP, 'postmaster', 'microsoftCaCertificate'],
  google: ['useGoogleServiceAccount', 'googleServiceAccountKey', 'googleServiceAccount', 'postmaster', 'smtpUser', 'smtpHost', 'smtpPort', 'startTls', 'smtpCaCertificate'],
  drafts: ['outlookNewAddress', 'outlookNewDraftsIn', ...MICROSOFT_APP, 'microsoftCaCertificate'],
};

/** The sending process's own settings: whether it runs, how long it retries, how often, what it keeps, what it does at start-up. */
export const SENDING_FIELDS = ['enabled', 'maxRetrySeconds', 'campaignIntervalSeconds', 'retentionDays', 'skipPendingAtStartup'];

export interface FieldGroup<F> {
  /** 'route-smtp', 'route-drafts', 'sending' or 'other'. */
  id: string;
  route?: RouteKind;
  fields: F[];
}

/**
 * The page's groups: each route in use with its own settings (a setting shared by two routes goes
 * with the first), then the sending process, then the rest in the catalogue's order.
 */
export function groupFields<F extends { key: string }>(fields: F[], routes: RouteKind[]): FieldGroup<F>[] {
  const placed = new Set<string>();
  const take = (keys: string[]) =>
    keys.flatMap((k) => {
      const f = fields.find((x) => x.key === k);
      if (!f || placed.has(k)) return [];
      placed.add(k);
      return [f];
    });
  const groups: FieldGroup<F>[] = routes.map((route) => ({ id: `route-${route}`, route, fields: take(ROUTE_FIELDS[route]) }));
  groups.push({ id: 'sending', fields: take(SENDING_FIELDS) });
  groups.push({ id: 'other', fields: fields.filter((f) => !placed.has(f.key)) });
  return groups.filter((g) => g.fields.length > 0);
}
