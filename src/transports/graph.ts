// The Microsoft Graph route: the stored e-mail as MIME to POST /users/{mailbox}/sendMail; past
// Graph's 4 MB request limit, a draft with upload sessions, then send. At most 4 requests per
// mailbox at once, and a mailbox Graph throttled waits out its Retry-After without new calls.
import type { OutgoingMessage } from '../mail/index.js';
import { DeliveryError, type DeliveryReport, type Route } from './route.js';
import { buildMime } from './mime.js';
import { GraphClient, graphFailure, splitForGraph, type GraphConfig } from './graph-client.js';

const PER_MAILBOX = 4;

export function createGraphRoute(config: GraphConfig): Route {
  const graph = new GraphClient(config);
  const slots = new Map<string, { active: number; waiting: (() => void)[] }>();
  const throttledUntil = new Map<string, number>();

  const withSlot = async <T>(mailbox: string, fn: () => Promise<T>): Promise<T> => {
    let slot = slots.get(mailbox);
    if (!slot) slots.set(mailbox, (slot = { active: 0, waiting: [] }));
    const s = slot;
    if (s.active >= PER_MAILBOX) await new Promise<void>((r) => s.waiting.push(r));
    s.active++;
    try {
      return await fn();
    } finally {
      s.active--;
      s.waiting.shift()?.();
    }
  };

  const deliver = async (mailbox: string, message: OutgoingMessage): Promise<void> => {
    const { small, large } = await splitForGraph(message);
    if (large.length === 0) {
      const mime = (await buildMime(message, small)).toString('base64');
      const answer = await graph.call('POST', `/users/${encodeURIComponent(mailbox)}/sendMail`, mime, 'text/plain');
      if (answer.status !== 202) throw graphFailure(answer, 'sendMail');
      return;
    }
    const draft = await graph.createDraft(mailbox, message, small, large);
    const sent = await graph.call('POST', `${draft.path}/send`, '');
    if (sent.status !== 202) {
      // A draft left behind would confuse the mailbox owner; the next attempt makes a new one.
      await graph.call('DELETE', draft.path, undefined).catch(() => undefined);
      throw graphFailure(sent, 'sending the draft');
    }
  };

  return {
    name: 'graph',
    description: `Microsoft Graph ${config.graphUrl}`,
    async send(message: OutgoingMessage): Promise<DeliveryReport> {
      const mailbox = message.envelope.from;
      const key = mailbox.toLowerCase();
      const wait = (throttledUntil.get(key) ?? 0) - Date.now();
      if (wait > 0) {
        throw new DeliveryError(`Microsoft Graph asked to wait before sending more from ${mailbox}`, 'transient', 'message', 429, [], wait);
      }
      await withSlot(key, () =>
        deliver(mailbox, message).catch((err: unknown) => {
          if (err instanceof DeliveryError && err.retryAfterMs) throttledUntil.set(key, Date.now() + err.retryAfterMs);
          throw err;
        }),
      );
      // Graph's 202 means accepted for delivery, not delivered: the outbox says so.
      return { reply: '202 Accepted by Microsoft Graph (accepted for delivery, not yet delivered)', replyCode: 202, accepted: message.envelope.to, rejected: [], deferred: [] };
    },
    async verify() {
      await config.provider.getToken(config.scope);
    },
    async close() {
      slots.clear();
    },
  };
}
