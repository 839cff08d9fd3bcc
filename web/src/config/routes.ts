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
