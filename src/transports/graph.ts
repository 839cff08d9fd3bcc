// The Microsoft Graph route: the stored e-mail as MIME to POST /users/{mailbox}/sendMail; past
// Graph's 4 MB request limit, a draft with its other files attached, then send. At most 4 requests
// per mailbox at once (shared slots), a throttled mailbox waits out its Retry-After, and the route
// check reads the token's application permissions.
import type { OutgoingMessage } from '../mail/index.js';
import { DeliveryError, type DeliveryReport, type Route } from './route.js';
import { buildMime } from './mime.js';
import { GraphClient, graphFailure, needsDraft, planAttachments, type GraphConfig } from './graph-client.js';
import { ProcessSlots, withSlot, type MailboxSlots } from './graph-slots.js';
import { tokenRoles } from './oauth.js';

export interface GraphRouteConfig extends GraphConfig {
  /** The postmaster: permission and mailbox errors on it are the route's, not one e-mail's. */
  postmaster?: string;
  slots?: MailboxSlots;
}

/** What the token's roles claim lacks, in words; null when nothing (or the claim cannot be read). */
export function missingGraphPermissions(roles: string[] | null): { send: string | null; drafts: string | null } {
  if (roles === null) return { send: null, drafts: null };
  const has = (r: string) => roles.includes(r);
  return {
    send: has('Mail.Send')
      ? null
      : `the app's token has no Mail.Send application permission (roles: ${roles.join(', ') || 'none'}): add Microsoft Graph > Application permissions > Mail.Send to the app registration and grant admin consent`,
    drafts: has('Mail.ReadWrite')
      ? null
      : `the app's token has no Mail.ReadWrite application permission: e-mails over 4 MB (sent through a draft) and Outlook (New) drafts need it; add it and grant admin consent`,
  };
}

/** After a mailbox failure on the postmaster, the route check waits this long before letting a send try again. */
const RECHECK_MS = [60_000, 5 * 60_000, 30 * 60_000];

export function createGraphRoute(config: GraphRouteConfig): Route {
  const graph = new GraphClient(config);
  const slots = config.slots ?? new ProcessSlots();
  const throttledUntil = new Map<string, number>();
  let mailboxFault: { error: DeliveryError; until: number; count: number } | null = null;

  /**
   * Sends; returns the Message-ID the service used when it is known. sendMail answers 202 with no
   * body: Exchange keeps the MIME's Message-ID ("Things to know about sending mail", MS-OXCMAIL
   * 2.1.3.2.11), and so does a draft, whose creation says so.
   */
  const deliver = async (mailbox: string, message: OutgoingMessage): Promise<string | null> => {
    const context = { mailbox, routeMailbox: config.postmaster };
    const plan = await planAttachments(message);
    if (!needsDraft(plan)) {
      // The tag (X-Postroom-Id) travels in the MIME's headers, where Graph's internetMessageHeaders would put it.
      const mime = (await buildMime(message, { keepBcc: true, attachments: plan.inMime })).toString('base64');
      const answer = await graph.call('POST', `/users/${encodeURIComponent(mailbox)}/sendMail`, mime, 'text/plain');
      if (answer.status !== 202) throw graphFailure(answer, 'sendMail', context);
      return message.messageId;
    }
    const draft = await graph.createDraft(mailbox, message, plan, context).catch(async (err: unknown) => {
      // Drafts need Mail.ReadWrite: without it only the large e-mails fail, not the route.
      if (err instanceof DeliveryError && err.replyCode === 403) {
        const lacking = missingGraphPermissions(tokenRoles(await config.provider.getToken(config.scope))).drafts;
        if (lacking) throw new DeliveryError(`${err.message.replace(/ \(the application may not use.*$/, '')} (${lacking})`, 'permanent', 'message', 403);
      }
      throw err;
    });
    const sent = await graph.call('POST', `${draft.path}/send`, '');
    if (sent.status !== 202) {
      // A draft left behind would confuse the mailbox owner; the next attempt makes a new one.
      await graph.call('DELETE', draft.path, undefined).catch(() => undefined);
      throw graphFailure(sent, 'sending the draft', context);
    }
    return draft.internetMessageId;
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
      const messageId = await withSlot(slots, key, () =>
        deliver(mailbox, message).catch((err: unknown) => {
          if (err instanceof DeliveryError && err.retryAfterMs) throttledUntil.set(key, Date.now() + err.retryAfterMs);
          if (err instanceof DeliveryError && err.scope === 'route' && err.replyCode !== null && err.replyCode < 500 && err.replyCode !== 401) {
            const count = (mailboxFault?.count ?? 0) + 1;
            mailboxFault = { error: err, count, until: Date.now() + (RECHECK_MS[Math.min(count, RECHECK_MS.length) - 1] ?? 60_000) };
          }
          throw err;
        }),
      );
      mailboxFault = null;
      // Graph's 202 means accepted for delivery, not delivered: the outbox says so.
      return {
        reply: '202 Accepted by Microsoft Graph (accepted for delivery, not yet delivered)',
        replyCode: 202,
        accepted: message.envelope.to,
        rejected: [],
        deferred: [],
        ...(messageId && messageId !== message.messageId ? { messageId } : {}),
      };
    },
    /**
     * The token and its roles. A mailbox problem of the postmaster cannot be probed with Mail.Send
     * alone: it is reported until its re-check time, then one e-mail tries again.
     */
    async verify() {
      const token = await config.provider.getToken(config.scope);
      const missing = missingGraphPermissions(tokenRoles(token));
      if (missing.send) {
        // A permission granted since is only in a new token: the next check asks for one.
        config.provider.invalidate(config.scope, token);
        throw new DeliveryError(missing.send, 'permanent', 'route', 403);
      }
      if (mailboxFault && Date.now() < mailboxFault.until) {
        throw new DeliveryError(`${mailboxFault.error.message} (checked again at ${new Date(mailboxFault.until).toISOString().slice(11, 19)} UTC, or when the settings change)`, 'transient', 'route', mailboxFault.error.replyCode);
      }
    },
    async close() {
      throttledUntil.clear();
    },
  };
}
