// Which route the settings choose, and so which fields matter now: the others are dimmed on
// the screen (still editable: an administrator may prepare a switch of route).
import i18next from '../i18n';
import type { FieldInfo, RouteKind, SettingValue } from '../types';

export function activeRoutes(settings: Record<string, SettingValue>): Set<RouteKind> {
  const routes = new Set<RouteKind>();
  routes.add(settings.useGraph === true ? 'graph' : settings.useOAuth === true ? 'oauth' : 'smtp');
  // Drafts for Outlook (New) users need the app registration whatever the sending route.
  if (typeof settings.outlookNewAddress === 'string' && settings.outlookNewAddress !== '') routes.add('drafts');
  return routes;
}

/** Catalogue keys of the routes' names. */
export const ROUTE_NAMES: Record<RouteKind, string> = {
  smtp: 'route.smtp',
  oauth: 'route.oauth',
  graph: 'route.graph',
  drafts: 'route.drafts',
};

/** Why a field is dimmed, or null when it serves a route in use. */
export function unusedBecause(field: FieldInfo, active: Set<RouteKind>): string | null {
  if (field.routes.some((r) => active.has(r))) return null;
  const sending = [...active].filter((r) => r !== 'drafts').map((r) => i18next.t(ROUTE_NAMES[r]));
  return i18next.t('config.notUsedBy', { routes: new Intl.ListFormat(i18next.language, { type: 'conjunction' }).format(sending) });
}
