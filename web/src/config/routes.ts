// Which routes are in use (the server decides, in the settings view), and so which fields matter
// now: the others are dimmed on the screen (still editable: an administrator may prepare a switch).
import type { FieldInfo, RouteKind, SettingsView } from '../types';

export function activeRoutes(view: SettingsView): Set<RouteKind> {
  return new Set(view.routes);
}

export const ROUTE_NAMES: Record<RouteKind, string> = {
  smtp: 'SMTP',
  oauth: 'SMTP with OAuth 2.0 (Exchange 365)',
  graph: 'Microsoft Graph',
  drafts: 'Outlook (New) drafts',
};

/** Why a field is dimmed, or null when it serves a route in use. */
export function unusedBecause(field: FieldInfo, active: Set<RouteKind>): string | null {
  if (field.routes.some((r) => active.has(r))) return null;
  const sending = [...active].filter((r) => r !== 'drafts').map((r) => ROUTE_NAMES[r]);
  return `Not used by the ${sending.join(' and ')} route.`;
}
