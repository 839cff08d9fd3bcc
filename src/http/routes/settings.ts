// Configuration > Email over HTTP: read, change (field by field or several at once), presets,
// the connection test and a test e-mail, and the audit log. Administrators only.
import { z } from 'zod';
import { PRESETS, emailAddress, fieldCatalogue } from '../../settings/index.js';
import { composeTestMessage } from '../../queue/index.js';
import { createRoute, diagnoseSmtp, DeliveryError, EXCHANGE_SMTP_HOST, microsoftTrust, smtpTrust, tokenProviderFor, type MicrosoftEndpoints, type RouteOptions } from '../../transports/index.js';
import type { Api } from '../api.js';
import { notFound } from '../errors.js';

const actorOf = (caller: { kind: string; username?: string } | null) => (caller && 'username' in caller ? `admin:${caller.username}` : 'admin');

export function settingsRoutes(api: Api, routeOptions: RouteOptions, endpoints: MicrosoftEndpoints): void {
  const { postroom } = api;

  api.route({
    method: 'GET',
    path: '/settings/email',
    tag: 'settings',
    summary: 'The email settings (secrets masked as {set, updatedAt}) and the configuration problems',
    access: 'admin',
    responses: { 200: 'settings and problems' },
    handle: () => postroom.settings.view(),
  });

  api.route({
    method: 'PATCH',
    path: '/settings/email',
    tag: 'settings',
    summary: 'Change one or more settings; all or nothing. A secret set to null or "" is cleared',
    access: 'admin',
    body: z.record(z.string(), z.unknown()),
    responses: { 200: 'saved; the settings and problems', 400: 'a value was refused (field and reason given); nothing saved' },
    handle: ({ body, caller }) => postroom.settings.update(body, actorOf(caller)),
  });

  api.route({
    method: 'GET',
    path: '/settings/email/fields',
    tag: 'settings',
    summary: 'Every setting in screen order: key, label, help text, kind, default and the routes it serves',
    access: 'admin',
    responses: { 200: 'the fields' },
    handle: async () => fieldCatalogue(),
  });

  api.route({
    method: 'GET',
    path: '/settings/email/presets',
    tag: 'settings',
    summary: 'The presets and the values each one sets',
    access: 'admin',
    responses: { 200: 'presets' },
    handle: async () => Object.values(PRESETS),
  });

  api.route({
    method: 'POST',
    path: '/settings/email/presets/:name',
    tag: 'settings',
    summary: 'Apply a preset (never touches secrets or addresses)',
    access: 'admin',
    params: z.object({ name: z.string() }),
    responses: { 200: 'applied; the settings and problems', 404: 'no such preset' },
    async handle({ params, caller }) {
      if (!PRESETS[params.name]) throw notFound(`no preset "${params.name}" (known: ${Object.keys(PRESETS).join(', ')})`);
      return postroom.settings.applyPreset(params.name, actorOf(caller));
    },
  });

  api.route({
    method: 'POST',
    path: '/settings/email/test-connection',
    tag: 'settings',
    summary: 'Connect, upgrade, authenticate, then check MAIL FROM and RCPT TO without sending; each step with the server reply',
    access: 'admin',
    body: z.object({ recipient: emailAddress.optional() }).strict(),
    responses: { 200: 'the steps and whether all passed (a failed test never blocks saving)' },
    async handle({ body }) {
      const s = await postroom.settings.load();
      const sender = s.postmaster || s.smtpUser;
      if (s.useGraph || s.useOAuth) {
        const missing = (['tenantId', 'clientId', 'clientSecret'] as const).filter((k) => !s[k]);
        if (missing.length) return { ok: false, route: 'Microsoft 365', steps: [{ step: 'token', ok: false, detail: `fill in ${missing.join(', ')} first` }] };
        const { tenantId, clientId, clientSecret } = s;
        const provider = tokenProviderFor({ tenantId, clientId, clientSecret }, endpoints, microsoftTrust(s, routeOptions.ca));
        const scope = s.useGraph ? endpoints.graphScope : endpoints.smtpScope;
        let token: string;
        try {
          token = await provider.getToken(scope, { forceRefresh: true });
        } catch (err) {
          return { ok: false, route: 'Microsoft 365', steps: [{ step: 'token', ok: false, detail: err instanceof Error ? err.message : String(err) }] };
        }
        const tokenStep = { step: 'token', ok: true, detail: `token issued by tenant ${tenantId} for ${scope}` };
        if (s.useGraph) return { ok: true, route: `Microsoft Graph ${endpoints.graphUrl}`, steps: [tokenStep] };
        const user = s.smtpUser || sender;
        if (!user) return { ok: false, route: 'SMTP OAuth', steps: [tokenStep, { step: 'auth', ok: false, detail: 'set the Mail postmaster (or SMTP user): it is the mailbox to sign in as' }] };
        const d = await diagnoseSmtp({ ...s, smtpHost: s.smtpHost || EXCHANGE_SMTP_HOST }, sender || user, body.recipient ?? (sender || user), { ...routeOptions, ca: smtpTrust(s, routeOptions.ca), xoauth2: { user, token } });
        return { ...d, steps: [tokenStep, ...d.steps] };
      }
      if (!s.smtpHost) return { ok: false, route: 'SMTP', steps: [{ step: 'connect', ok: false, detail: 'SMTP host is empty' }] };
      if (!sender) return { ok: false, route: 'SMTP', steps: [{ step: 'sender', ok: false, detail: 'set the Mail postmaster first: it is the sender the test checks' }] };
      return diagnoseSmtp(s, sender, body.recipient ?? sender, { ...routeOptions, ca: smtpTrust(s, routeOptions.ca) });
    },
  });

  api.route({
    method: 'POST',
    path: '/settings/email/test-email',
    tag: 'settings',
    summary: 'Send a test e-mail now, through the configured route, and report the outcome',
    access: 'admin',
    body: z.object({ to: emailAddress }).strict(),
    responses: { 200: 'sent, or the failure with the server reply' },
    async handle({ body }) {
      const s = await postroom.settings.load();
      const route = createRoute(s, routeOptions, endpoints);
      try {
        const message = composeTestMessage(s, body.to);
        const report = await route.send(message);
        return { ok: true, route: route.description, reply: report.reply };
      } catch (err) {
        const e = err instanceof DeliveryError ? err : null;
        return { ok: false, route: route.description, reply: e?.message ?? (err instanceof Error ? err.message : String(err)), transient: e?.transient ?? null };
      } finally {
        await route.close();
      }
    },
  });

  api.route({
    method: 'GET',
    path: '/audit',
    tag: 'settings',
    summary: 'Who changed which setting when (secret values are never kept)',
    access: 'admin',
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
    responses: { 200: 'audit entries, newest first' },
    handle: ({ query }) => postroom.settings.audit(query.limit),
  });
}
