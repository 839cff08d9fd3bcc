// Configuration > Email over HTTP: read, change (field by field or several at once), presets,
// the connection test and a test e-mail, and the audit log. Administrators only.
import { z } from 'zod';
import { PRESETS, emailAddress, fieldCatalogue } from '../../settings/index.js';
import { composeTestMessage } from '../../queue/index.js';
import { createRoute, DeliveryError, testConnection, translate, type MicrosoftEndpoints, type RouteOptions } from '../../transports/index.js';
import type { Api } from '../api.js';
import { notFound } from '../errors.js';
import { preferredLanguage, viewFor } from '../language.js';
import { named, routeKindReply, settingsViewReply } from '../replies.js';
import { decimal } from '../decimal.js';

const fieldInfoReply = named(
  'FieldInfo',
  z.object({
    key: z.string(),
    label: z.string(),
    help: z.string(),
    kind: z.enum(['bool', 'string', 'int', 'email', 'secret', 'date', 'pem']),
    default: z.unknown(),
    routes: z.array(routeKindReply),
    choices: z.array(z.string()).optional().describe('the values a text setting may take: the row offers a list'),
    readOnly: z.boolean().optional().describe('derived by Postroom (a certificate expiry): shown, not saved'),
    clearsSecrets: z.array(z.string()).optional().describe('the secrets that saving a new value here clears (they were stored for the old value)'),
  }),
);
const presetReply = named(
  'Preset',
  z.object({ name: z.string(), title: z.string(), values: z.record(z.string(), z.union([z.boolean(), z.number(), z.string()])), next: z.string() }),
);
const testStepReply = named(
  'TestStep',
  z.object({
    step: z.enum(['token', 'permissions', 'connect', 'starttls', 'auth', 'sender', 'recipient', 'mailbox']),
    ok: z.boolean(),
    detail: z.string().describe('what happened, in a sentence an administrator can act on'),
    reply: z.string().optional().describe("the server's reply, when it gave one"),
  }),
);
const connectionTestReply = named('ConnectionTest', z.object({ ok: z.boolean(), route: z.string(), steps: z.array(testStepReply) }));
const testEmailReply = named(
  'TestEmailOutcome',
  z.object({ ok: z.boolean(), route: z.string(), reply: z.string(), transient: z.boolean().nullable().optional().describe('on a failure: whether a retry may succeed') }),
);
const checkCountsReply = named(
  'MailboxCheckCounts',
  z.object({
    seen: z.number().int().describe('messages listed since the check before'),
    read: z.number().int().describe('of those, the ones that looked like delivery reports and were read'),
    matched: z.number().int(),
    unmatched: z.number().int(),
    duplicates: z.number().int().describe('reports read before: nothing changed'),
    notReports: z.number().int().describe('auto-replies and ordinary mail after all: left where they are'),
    unreadable: z.number().int().describe('reports that could not be read: left where they are (the log says why)'),
    hard: z.number().int(),
    soft: z.number().int(),
    policy: z.number().int(),
    delayed: z.number().int(),
  }),
);
const mailboxCheckReply = named(
  'MailboxCheck',
  z.object({
    enabled: z.boolean(),
    mailbox: z.string().nullable().describe('the mailbox read, in words'),
    problems: z.array(z.object({ key: z.string(), message: z.string() })).describe('why the mailbox cannot be read with these settings (sending goes on)'),
    checking: z.boolean(),
    lastCheckAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    error: z.string().nullable().describe('why the last check failed; null after a good one. A mailbox problem never stops sending'),
    errorAt: z.string().nullable(),
    lastCounts: checkCountsReply.nullable(),
    matchedTotal: z.number().int(),
    unmatchedTotal: z.number().int(),
    nextCheckAt: z.string().nullable(),
    last24h: z.object({ hard: z.number().int(), soft: z.number().int(), policy: z.number().int(), delayed: z.number().int() }).describe('recipients reported in the last 24 hours, by kind; policy bounces are a problem of ours'),
  }),
);
const auditEntryReply = named(
  'AuditEntry',
  z.object({ id: z.number().int(), at: z.string(), actor: z.string(), key: z.string(), oldValue: z.unknown(), newValue: z.unknown(), secret: z.boolean() }),
);

const actorOf = (caller: { kind: string; username?: string } | null) => (caller && 'username' in caller ? `admin:${caller.username}` : 'admin');

export function settingsRoutes(api: Api, routeOptions: RouteOptions, given: MicrosoftEndpoints | undefined): void {
  const { postroom } = api;

  api.route({
    method: 'GET',
    path: '/settings/email',
    tag: 'settings',
    summary: 'The email settings (secrets masked as {set, updatedAt}) and the configuration problems',
    access: 'admin',
    responses: { 200: { description: 'settings and problems', schema: settingsViewReply } },
    handle: ({ req }) => viewFor(req, postroom.settings.view()),
  });

  api.route({
    method: 'PATCH',
    path: '/settings/email',
    tag: 'settings',
    summary: 'Change one or more settings; all or nothing. A secret set to null or "" is cleared',
    access: 'admin',
    body: z.record(z.string(), z.unknown()),
    responses: { 200: { description: 'saved; the settings and problems', schema: settingsViewReply }, 400: 'a value was refused (field and reason given); nothing saved' },
    async handle({ body, caller, req }) {
      const view = await viewFor(req, postroom.settings.update(body, actorOf(caller)));
      // A campaign now, not at the next interval: switched on, it sends; fixed, it says so at once.
      postroom.dispatcher.wake();
      return view;
    },
  });

  api.route({
    method: 'GET',
    path: '/settings/email/fields',
    tag: 'settings',
    summary: 'Every setting in screen order: key, label, help text, kind, default and the routes it serves',
    access: 'admin',
    responses: { 200: { description: 'the fields', schema: z.array(fieldInfoReply) } },
    handle: async () => fieldCatalogue(),
  });

  api.route({
    method: 'GET',
    path: '/settings/email/presets',
    tag: 'settings',
    summary: 'The presets and the values each one sets',
    access: 'admin',
    responses: { 200: { description: 'presets', schema: z.array(presetReply) } },
    handle: async () => Object.values(PRESETS),
  });

  api.route({
    method: 'POST',
    path: '/settings/email/presets/:name',
    tag: 'settings',
    summary: 'Apply a preset (never touches addresses; a secret saved for another server is cleared)',
    access: 'admin',
    params: z.object({ name: z.string() }),
    responses: { 200: { description: 'applied; the settings and problems', schema: settingsViewReply }, 404: 'no such preset' },
    async handle({ params, caller, req }) {
      if (!PRESETS[params.name]) throw notFound(`no preset "${params.name}" (known: ${Object.keys(PRESETS).join(', ')})`);
      const view = await viewFor(req, postroom.settings.applyPreset(params.name, actorOf(caller)));
      postroom.dispatcher.wake();
      return view;
    },
  });

  api.route({
    method: 'POST',
    path: '/settings/email/test-connection',
    tag: 'settings',
    summary:
      "Connect, upgrade, authenticate, then check MAIL FROM and RCPT TO without sending; with bounce processing on, open the postmaster's mailbox too; each step with the server reply",
    access: 'admin',
    body: z.object({ recipient: emailAddress.optional() }).strict(),
    responses: { 200: { description: 'the steps and whether all passed (a failed test never blocks saving)', schema: connectionTestReply } },
    async handle({ body, req }) {
      // Each step in the console's language; the server's reply stays in its own field, as written.
      const lang = preferredLanguage(req.headers['accept-language']);
      const worded = <R extends { steps: { detail: string }[] }>(r: R): R => ({ ...r, steps: r.steps.map((st) => ({ ...st, detail: translate(st.detail, lang) })) });
      const result = await testConnection(await postroom.settings.load(), routeOptions, given, body.recipient);
      if (!(await postroom.settings.value('bounceProcessing'))) return worded(result);
      const mailbox = await postroom.bounces.testMailbox();
      return worded({ ...result, ok: result.ok && mailbox.ok, steps: [...result.steps, { step: 'mailbox', ...mailbox }] });
    },
  });

  api.route({
    method: 'GET',
    path: '/settings/email/bounces',
    tag: 'settings',
    summary: "Bounce processing: the postmaster's mailbox, its last check, what it found, and why it failed if it did",
    access: 'admin',
    responses: { 200: { description: 'the state of the mailbox checks', schema: mailboxCheckReply } },
    handle: () => postroom.bounces.status(),
  });

  api.route({
    method: 'POST',
    path: '/settings/email/bounces/check',
    tag: 'settings',
    summary: "Read the postmaster's mailbox now (what arrived since the last check), then the state",
    access: 'admin',
    responses: {
      200: {
        description: '{outcome: off | busy (another instance is checking) | error | done, counts?, message?, status}',
        schema: z.object({
          outcome: z.enum(['off', 'busy', 'error', 'done']),
          counts: checkCountsReply.optional(),
          message: z.string().optional(),
          status: mailboxCheckReply,
        }),
      },
    },
    async handle() {
      const outcome = await postroom.bounces.checkNow();
      const { state, ...rest } = outcome;
      return { outcome: state, ...rest, status: await postroom.bounces.status() };
    },
  });

  api.route({
    method: 'POST',
    path: '/settings/email/test-email',
    tag: 'settings',
    summary: 'Send a test e-mail now, through the configured route, and report the outcome',
    access: 'admin',
    body: z.object({ to: emailAddress }).strict(),
    responses: { 200: { description: 'sent, or the failure with the server reply', schema: testEmailReply } },
    async handle({ body }) {
      const s = await postroom.settings.load();
      const route = createRoute(s, routeOptions, given);
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
    query: z.object({ limit: decimal(z.number().int().min(1).max(1000)).default(100) }),
    responses: { 200: { description: 'audit entries, newest first', schema: z.array(auditEntryReply) } },
    handle: ({ query }) => postroom.settings.audit(query.limit),
  });
}
