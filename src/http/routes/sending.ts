// Whether mail is moving and, if not, why and what fixes it (the console's banner on every
// page); and recovery from a bad day: retry many e-mails at once, counted first, audited.
import { z } from 'zod';
import { sendingIn } from '../../dispatcher/index.js';
import type { Api } from '../api.js';
import { preferredLanguage } from '../language.js';
import { named } from '../replies.js';

const sendingStateReply = named(
  'SendingState',
  z.object({
    state: z.enum(['sending', 'stopped', 'no-process']),
    reason: z.string().nullable().describe("why sending is stopped, with the server's reply"),
    since: z.string().nullable().describe('when it stopped (ISO), when known'),
    waiting: z.number().int().describe('e-mails waiting to be sent (pending or error)'),
    resumesWhen: z.string().nullable().describe('what makes sending resume, in plain words'),
    setting: z.string().nullable().describe('the setting to look at first, when one is to blame'),
    cause: z.enum(['disabled', 'incomplete', 'route', 'database', 'no-process']).nullable().describe('what stopped it: switched off, the configuration, the route (its server), the database; null while sending'),
    storage: z
      .object({
        failing: z.boolean(),
        kind: z.enum(['full', 'unavailable']).nullable().describe('full: the database or its disk is full; unavailable: it cannot be reached or keeps failing'),
        since: z.string().nullable(),
        error: z.string().nullable().describe("the database's own words for the last fault"),
      })
      .describe("this server's writes to the database: while they fail, hand-overs are refused (507 or 503) and nothing is lost"),
  }),
);

const retryFilter = z.object({
  status: z.enum(['failed', 'error', 'cancelled', 'bounced'], { message: 'must be failed, error, cancelled or bounced' }),
  since: z.iso.datetime({ offset: true, message: 'must be an ISO time, e.g. 2026-12-01T08:00:00Z' }).optional(),
});

const toFilter = (f: z.output<typeof retryFilter>) => ({ status: f.status, since: f.since === undefined ? undefined : Date.parse(f.since) });

export function sendingRoutes(api: Api, onHandOver: () => void): void {
  const { postroom } = api;

  api.route({
    method: 'GET',
    path: '/sending',
    tag: 'emails',
    summary: 'Is mail moving? When sending is stopped: why (with the server reply), since when, how many e-mails wait, and what fixes it',
    access: 'admin',
    responses: { 200: { description: 'the sending state', schema: sendingStateReply } },
    async handle({ req }) {
      const s = postroom.store.health.state();
      const storage = { failing: s.failing, kind: s.kind, since: s.since ? new Date(s.since).toISOString() : null, error: s.failing ? s.lastError : null };
      // A database that cannot be read is said without the queue's figures rather than not at all.
      const state = await postroom.sending().catch(() => null);
      if (!state) return { state: 'stopped' as const, reason: storage.error, since: storage.since, waiting: 0, resumesWhen: null, setting: null, cause: 'database' as const, storage: { ...storage, failing: true } };
      return { ...sendingIn(state, preferredLanguage(req.headers['accept-language'])), storage };
    },
  });

  api.route({
    method: 'GET',
    path: '/emails/retryable',
    tag: 'emails',
    summary: 'How many e-mails a bulk retry with this filter would send again (for the confirmation)',
    access: 'admin',
    query: retryFilter,
    responses: { 200: { description: 'how many', schema: z.object({ count: z.number().int() }) } },
    handle: async ({ query }) => ({ count: await postroom.queue.countRetryable(toFilter(query)) }),
  });

  api.route({
    method: 'POST',
    path: '/emails/retry',
    tag: 'emails',
    summary: 'Send again every e-mail of a status (failed, error or cancelled) changed since a time; audited',
    access: 'admin',
    body: retryFilter,
    responses: { 200: { description: 'how many were sent again', schema: z.object({ retried: z.number().int() }) }, 400: 'refused filter' },
    async handle({ body, caller }) {
      const actor = caller?.kind === 'admin' ? caller.username : 'api';
      const retried = await postroom.queue.retryMany(toFilter(body), actor);
      if (retried) onHandOver();
      return { retried };
    },
  });
}
