// Test connection for the configured route: the token first (Microsoft or Google), the app's
// permissions where the token shows them, then the SMTP route's own walk. Nothing is sent.
import { googleDelegatedUser, missingMicrosoftApp, routeKind, type EmailSettings } from '../settings/index.js';
import { missingGraphPermissions } from './graph.js';
import { GMAIL_SCOPE, googleTokenProviderFor } from './google.js';
import { credentialsOf, tokenProviderFor, tokenRoles, type MicrosoftEndpoints } from './oauth.js';
import type { Diagnosis, DiagnosisStep } from './smtp/index.js';
import { microsoftTrust } from './trust.js';
import { catalogue, NB, say } from '../i18n/index.js';
import { createRoute, endpointsFor, isSmtpRoute, type RouteOptions } from './create.js';

/** Test connection's own sentences (the SMTP walk's are in smtp/words.ts). */
export const TEST_STEPS = catalogue({
  saveKeyFirst: { en: 'save the service account key (JSON) first', fr: 'enregistrez d’abord la clé du compte de service (JSON)' },
  googleUserMissing: {
    en: 'set the Mail postmaster (or SMTP user): it is the mailbox the service account acts as',
    fr: `renseignez l’adresse du postmaster (ou l’utilisateur SMTP)${NB}: c’est la boîte au nom de laquelle agit le compte de service`,
  },
  googleToken: {
    en: 'token issued by Google for {user} (service account client ID {id}, scope {scope})',
    fr: 'jeton délivré par Google pour {user} (ID client du compte de service {id}, champ {scope})',
  },
  fillIn: { en: 'fill in {fields} first', fr: 'renseignez d’abord {fields}' },
  microsoftToken: { en: 'token issued by tenant {tenant} for {scope} with {credential}', fr: 'jeton délivré par le locataire {tenant} pour {scope} avec {credential}' },
  clientSecret: { en: 'the client secret', fr: 'le secret client' },
  clientCertificate: { en: 'the client certificate', fr: 'le certificat client' },
  rolesHidden: { en: 'the token does not show its application permissions; sending will tell', fr: `le jeton ne montre pas ses permissions d’application${NB}; l’envoi le dira` },
  appHas: { en: 'the app has {roles}', fr: 'l’application a {roles}' },
  noSendAsApp: {
    en: "the app's token has no SMTP.SendAsApp application permission (roles: {roles}): add Office 365 Exchange Online > Application permissions > SMTP.SendAsApp and grant admin consent",
    fr: `le jeton de l’application n’a pas la permission d’application SMTP.SendAsApp (rôles${NB}: {roles})${NB}: ajoutez Office 365 Exchange Online > Autorisations d’application > SMTP.SendAsApp et accordez le consentement administrateur`,
  },
  oauthUserMissing: {
    en: 'set the Mail postmaster (or SMTP user): it is the mailbox to sign in as',
    fr: `renseignez l’adresse du postmaster (ou l’utilisateur SMTP)${NB}: c’est la boîte avec laquelle se connecter`,
  },
  hostEmpty: { en: 'SMTP host is empty', fr: 'l’hôte SMTP est vide' },
  senderMissing: { en: 'set the Mail postmaster first: it is the sender the test checks', fr: `renseignez d’abord l’adresse du postmaster${NB}: c’est l’expéditeur que le test vérifie` },
});

export interface ConnectionTest {
  ok: boolean;
  route: string;
  steps: (Omit<DiagnosisStep, 'step'> & { step: string })[];
}

const failed = (route: string, step: DiagnosisStep['step'] | 'permissions', detail: string): ConnectionTest => ({ ok: false, route, steps: [{ step, ok: false, detail }] });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Runs Test connection on the saved settings; `recipient` (default: the sender) is asked at RCPT TO. */
export async function testConnection(s: EmailSettings, options: RouteOptions, given: MicrosoftEndpoints | undefined, recipient?: string): Promise<ConnectionTest> {
  const sender = s.postmaster || s.smtpUser;
  const kind = routeKind(s);
  const walk = async (tokens: Parameters<typeof createRoute>[3], user: string, before: ConnectionTest['steps']): Promise<ConnectionTest> => {
    const route = createRoute(s, options, given, tokens);
    try {
      if (!isSmtpRoute(route)) return { ok: before.every((x) => x.ok), route: route.description, steps: before };
      const d: Diagnosis = await route.diagnose(sender || user, recipient ?? (sender || user));
      return { ...d, ok: d.ok && before.every((x) => x.ok), steps: [...before, ...d.steps] };
    } finally {
      await route.close();
    }
  };

  if (kind === 'google') {
    const user = googleDelegatedUser(s);
    if (!s.googleServiceAccountKey) return failed('Google Workspace', 'token', say(TEST_STEPS.saveKeyFirst));
    if (!user) return failed('Google Workspace', 'token', say(TEST_STEPS.googleUserMissing));
    const provider = googleTokenProviderFor(s.googleServiceAccountKey, user, options.ca);
    try {
      await provider.getToken(GMAIL_SCOPE, { forceRefresh: true });
    } catch (err) {
      return failed('Google Workspace', 'token', message(err));
    }
    return walk(provider, user, [{ step: 'token', ok: true, detail: say(TEST_STEPS.googleToken, { user, id: provider.clientId, scope: GMAIL_SCOPE }) }]);
  }
  if (kind !== 'smtp') {
    const missing = missingMicrosoftApp(s);
    if (missing.length) return failed('Microsoft 365', 'token', say(TEST_STEPS.fillIn, { fields: missing.join(', ') }));
    const endpoints = endpointsFor(s, given);
    const provider = tokenProviderFor(credentialsOf(s), endpoints, microsoftTrust(s, options.ca));
    const scope = kind === 'graph' ? endpoints.graphScope : endpoints.smtpScope;
    let token: string;
    try {
      // An administrator asked: no back-off, a fresh request now.
      token = await provider.getToken(scope, { forceRefresh: true, now: true });
    } catch (err) {
      return failed('Microsoft 365', 'token', message(err));
    }
    const credential = say(s.clientCertificate ? TEST_STEPS.clientCertificate : TEST_STEPS.clientSecret);
    const steps: ConnectionTest['steps'] = [{ step: 'token', ok: true, detail: say(TEST_STEPS.microsoftToken, { tenant: s.tenantId, scope, credential }) }];
    const roles = tokenRoles(token);
    if (kind === 'graph') {
      const lacking = missingGraphPermissions(roles);
      const detail = roles === null ? say(TEST_STEPS.rolesHidden) : [lacking.send, lacking.drafts].filter(Boolean).join('; ') || say(TEST_STEPS.appHas, { roles: roles.join(', ') });
      const permissions = { step: 'permissions', ok: lacking.send === null, detail };
      return { ok: permissions.ok, route: `Microsoft Graph ${endpoints.graphUrl}`, steps: [...steps, permissions] };
    }
    if (roles !== null && !roles.includes('SMTP.SendAsApp')) {
      steps.push({ step: 'permissions', ok: false, detail: say(TEST_STEPS.noSendAsApp, { roles: roles.join(', ') || 'none' }) });
    }
    const user = s.smtpUser || sender;
    if (!user) return { ok: false, route: 'SMTP OAuth', steps: [...steps, { step: 'auth', ok: false, detail: say(TEST_STEPS.oauthUserMissing) }] };
    return walk(provider, user, steps);
  }
  if (!s.smtpHost) return failed('SMTP', 'connect', say(TEST_STEPS.hostEmpty));
  if (!sender) return failed('SMTP', 'sender', say(TEST_STEPS.senderMissing));
  return walk(undefined, sender, []);
}
