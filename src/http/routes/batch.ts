// POST /emails/batch: a month-end run handed over in requests of up to 500 e-mails, one round trip
// and one commit each, with a result per e-mail so that one bad invoice never refuses the others.
import { z } from 'zod';
import { BATCH_MAX_EMAILS } from '../../queue/index.js';
import type { Api } from '../api.js';
import { errorReply, handOverReply, named } from '../replies.js';
import { HAND_OVER_BODY, sourceOf } from './emails.js';

/** A batch's body: its e-mails' own limits hold each, and the whole stays within this. */
export const BATCH_BODY_LIMIT = 50 * 1024 * 1024;

const batchItemReply = z.union([
  handOverReply.extend({ index: z.number().int().describe('the position of the e-mail in the request, from 0') }),
  z.object({ index: z.number().int(), error: errorReply.omit({ error: true }).extend({ code: errorReply.shape.error }) }),
]);
const batchReply = named('BatchResult', z.object({ results: z.array(batchItemReply).describe('one per e-mail, in the order of the request') }));

export function batchRoutes(api: Api, onHandOver: () => void): void {
  api.route({
    method: 'POST',
    path: '/emails/batch',
    tag: 'emails',
    summary: `Hand over up to ${BATCH_MAX_EMAILS} e-mails at once: each is checked alone (an e-mail the schema refuses is answered in its result, not by a 400 for the batch), the valid ones are stored in one transaction, and the answer has a result per e-mail in order. Idempotency keys work per e-mail; each e-mail counts against the token's hand-over rate`,
    access: 'admin-or-token',
    body: z
      .object({
        emails: z
          .array(z.unknown())
          .min(1, { message: 'needs at least one e-mail' })
          .max(BATCH_MAX_EMAILS, { message: `holds at most ${BATCH_MAX_EMAILS} e-mails: send several batches` }),
      })
      .strict(),
    documentedBody: z.object({ emails: z.array(HAND_OVER_BODY).min(1).max(BATCH_MAX_EMAILS) }).strict(),
    bodyLimit: BATCH_BODY_LIMIT,
    handOver: true,
    responses: {
      200: { description: '{results: [{index, id, status, messageId, duplicate} | {index, error: {code, message, fields}}]}', schema: batchReply },
      400: 'the batch itself is refused (no emails array, none, or more than 500); nothing stored',
      413: `body over ${BATCH_BODY_LIMIT / 1024 / 1024} MiB`,
      429: "the batch would take the token over its hand-over rate (Retry-After); nothing stored",
      503: 'database_unavailable or overloaded; nothing of the batch stored (Retry-After)',
      507: 'storage_full; nothing of the batch stored (Retry-After)',
    },
    async handle({ body, caller }) {
      api.countHandOvers(caller, body.emails.length);
      const results = await api.postroom.queue.handOverMany(body.emails, sourceOf(caller));
      if (results.some((r) => 'id' in r && !r.duplicate)) onHandOver();
      return { results };
    },
  });
}
