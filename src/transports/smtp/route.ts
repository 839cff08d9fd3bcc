// The SMTP route: pools of at most smtpMaxConnections sessions. STARTTLS is required when the
// setting says so (never a plaintext fallback), implicit TLS on 465. Authentication is a password,
// or XOAUTH2 with a Microsoft token (signing in as smtpUser or else as the sending mailbox) or a
// Google service account's token (signing in as the one user it acts for).
import net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { OutgoingMessage } from '../../mail/index.js';
import type { EmailSettings } from '../../settings/index.js';
import { DeliveryError, type DeliveryReport, type RejectedRecipient, type Route } from '../route.js';
import { buildMime } from '../mime.js';
import { say, type Phrase } from '../../i18n/index.js';
import { classify, type FailureContext } from './classify.js';
import { SmtpPool } from './pool.js';
import { isPermanent, isTooManyRecipients, toRejected } from './replies.js';
import { SmtpStageError, type SessionOptions, type SignIn, type SmtpSession, type TransactionResult } from './session.js';
import { walk, type Diagnosis } from './walk.js';
import { FAILURES, HINTS } from './words.js';

export interface SmtpTimeouts {
  connectionMs: number;
  greetingMs: number;
  /** Silence from the server at any other step before the connection is given up. */
  socketMs: number;
  /**
   * How long to wait for the reply to the end of the message. RFC 5321 §4.5.3.2.6 suggests 10
   * minutes; real servers answer within seconds, and the slowest common case, Postfix with a
   * before-queue content filter, gives up on the filter after 100 s (smtpd_proxy_timeout). 120 s
   * outlasts that while a hung server holds a connection slot for 2 minutes, not 10. Giving up
   * means "may or may not have been delivered": a retry may make a duplicate, recognisable by
   * its Message-ID.
   */
  dataReplyMs: number;
}

export interface RouteOptions {
  /** Extra trusted CA certificates (PEM), for embedders and tests; administrators use smtpCaCertificate. */
  ca?: string | string[] | undefined;
  timeouts?: Partial<SmtpTimeouts>;
  /** nodemailer's own protocol log, for debugging a server (never includes AUTH data). */
  debug?: boolean;
}

/** Where XOAUTH2 tokens come from: Microsoft's identity platform or a Google service account. */
export interface XOAuth2Tokens {
  getToken(scope: string, options?: { forceRefresh?: boolean }): Promise<string>;
  /** Forget a token the server refused (a 535). */
  invalidate(scope: string): void;
}

export interface XOAuth2 {
  provider: XOAuth2Tokens;
  scope: string;
  /** The one user the tokens are for (a Google service account's subject); absent: smtpUser, else each sender. */
  user?: string;
  /** The SMTP host when SMTP host is empty: Exchange Online's (the default) or Gmail's. */
  defaultHost?: string;
  /** What a 535 to XOAUTH2 usually means with this provider, for the administrator (Exchange's by default). */
  refusedHelp?: Phrase;
}

const DEFAULT_TIMEOUTS: SmtpTimeouts = { connectionMs: 30_000, greetingMs: 30_000, socketMs: 120_000, dataReplyMs: 120_000 };
export const EXCHANGE_SMTP_HOST = 'smtp.office365.com';

type SmtpSettings = Pick<EmailSettings, 'smtpHost' | 'smtpPort' | 'smtpUser' | 'smtpPassword' | 'startTls' | 'smtpMaxConnections' | 'postmaster'> &
  Partial<Pick<EmailSettings, 'allowPlaintextAuth'>>;

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Each address once (compared without case), in order: each recipient gets one copy. */
function unique(addresses: string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => {
    const k = a.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** An SMTP route, with Test connection: the walk the route check takes, on the same sessions. */
export interface SmtpRoute extends Route {
  /** Every step up to RCPT TO `recipient` (nothing is sent), each with the server's reply. */
  diagnose(sender: string, recipient: string): Promise<Diagnosis>;
}

export function createSmtpRoute(settings: SmtpSettings, options: RouteOptions = {}, oauth?: XOAuth2): SmtpRoute {
  const host = settings.smtpHost || (oauth ? (oauth.defaultHost ?? EXCHANGE_SMTP_HOST) : '');
  const port = settings.smtpPort;
  const where = `${host}:${port}`;
  const implicitTls = port === 465;
  const plaintext = !implicitTls && !settings.startTls;
  const allowPlaintextAuth = settings.allowPlaintextAuth ?? false;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const tls: ConnectionOptions = { servername: net.isIP(host) ? undefined : host, minVersion: 'TLSv1.2', ...(options.ca ? { ca: options.ca } : {}) };
  // One pool per signed-in mailbox: with XOAUTH2 the user can change from one e-mail to the next,
  // and Exchange's connection limit counts per mailbox.
  const pools = new Map<string, SmtpPool>();

  /** The XOAUTH2 user: the tokens' own, else smtpUser, else the mailbox the e-mail is sent from. */
  const signInAs = (sender: string) => (oauth ? oauth.user || settings.smtpUser || sender : settings.smtpUser);

  const signIn = (user: string): SignIn | null => {
    if (oauth) return { kind: 'xoauth2', user, token: (renew) => oauth.provider.getToken(oauth.scope, { forceRefresh: renew }) };
    return settings.smtpUser ? { kind: 'password', user: settings.smtpUser, password: settings.smtpPassword } : null;
  };

  /** How a session for `user` opens: the same for sending, the route check and Test connection. */
  const sessionFor = (user: string): SessionOptions => ({
    host, port, implicitTls, startTls: settings.startTls, tls, ...timeouts, signIn: signIn(user), allowPlaintextAuth, debug: options.debug ?? false,
  });

  /** Closed by close(): the settings replaced this route. */
  let closed = false;

  const pool = (user: string): SmtpPool => {
    let p = pools.get(user);
    if (!p) {
      p = new SmtpPool(sessionFor(user), settings.smtpMaxConnections);
      pools.set(user, p);
    }
    return p;
  };

  /** Refused before connecting: a password (or token) would cross the network in plain text. */
  const plaintextRefusal = (user: string): DeliveryError | null =>
    user !== '' && plaintext && !allowPlaintextAuth ? new DeliveryError(say(FAILURES.notEncrypted, { where }), 'permanent', 'route') : null;

  const context = (sender: string, user: string): FailureContext => ({
    where,
    sender,
    senderIsPostmaster: !!settings.postmaster && sameAddress(sender, settings.postmaster),
    user: user || null,
    plaintext,
    oauthHelp: oauth ? (oauth.refusedHelp ?? HINTS.exchange535) : null,
  });

  /** One transaction; a connection that died while idle is replaced once, since nothing was sent on it. */
  const transaction = async (user: string, from: string, to: string[], raw: Buffer, envelopeId: string | null): Promise<TransactionResult> => {
    const send = (s: SmtpSession) => s.transaction(from, to, raw, timeouts.dataReplyMs, envelopeId);
    const run = async (fresh: boolean): Promise<TransactionResult> => {
      if (!closed) return pool(user).with(send, fresh);
      // A send that began before the route was replaced and reaches the server after (its MIME was
      // still being built): it goes out on a connection of its own, closed once it is done, rather
      // than in a new pool nobody would close.
      const once = new SmtpPool(sessionFor(user), 1);
      try {
        return await once.with(send);
      } finally {
        once.close();
      }
    };
    try {
      return await run(false);
    } catch (err) {
      const stale = err instanceof SmtpStageError && err.reused && err.stage === 'envelope' && !(err.cause as { responseCode?: number }).responseCode;
      if (!stale) throw err;
      return run(true);
    }
  };

  // Built ahead by prepare(), else when sent; it goes with the message object.
  const prepared = new WeakMap<OutgoingMessage, Promise<Buffer>>();
  const mimeOf = (message: OutgoingMessage): Promise<Buffer> => prepared.get(message) ?? buildMime(message, { keepBcc: false });

  /** The recipients' outcomes over one or more transactions (a new one for those refused as "too many"). */
  const deliver = async (message: OutgoingMessage, user: string): Promise<DeliveryReport> => {
    const ctx = context(message.envelope.from, user);
    const raw = await mimeOf(message);
    const accepted: string[] = [];
    const rejected: RejectedRecipient[] = [];
    const deferred: RejectedRecipient[] = [];
    let pending = unique(message.envelope.to);
    let reply = '';
    let first = true;
    while (pending.length) {
      let refusals: RejectedRecipient[];
      try {
        const info = await transaction(user, message.envelope.from, pending, raw, message.reportTag ?? null);
        accepted.push(...info.accepted);
        refusals = info.rejectedErrors.map(toRejected);
        reply = info.response.trim();
      } catch (err) {
        const failure = classify(err, ctx);
        const everyoneRefused = failure.scope === 'message' && failure.rejected.length > 0;
        if (!everyoneRefused) {
          if (first) throw failure;
          // A later transaction failed after the first one delivered: the recipients it carried
          // get its outcome, and only the deferred are owed again.
          const outcome = pending.map((recipient) => ({ recipient, code: failure.replyCode, reply: failure.message }));
          (failure.kind === 'permanent' ? rejected : deferred).push(...outcome);
          break;
        }
        refusals = failure.rejected;
      }
      first = false;
      const tooMany = refusals.filter((r) => isTooManyRecipients(r.code, r.reply));
      for (const r of refusals) if (!tooMany.includes(r)) (isPermanent(r.code) ? rejected : deferred).push(r);
      // RFC 5321 §4.5.3.1.10: the rest go in a new transaction. Without progress, they wait.
      if (tooMany.length && tooMany.length < pending.length) pending = tooMany.map((r) => r.recipient);
      else {
        deferred.push(...tooMany);
        pending = [];
      }
    }
    if (!accepted.length) {
      const all = [...rejected, ...deferred];
      const summary = all.map((r) => `${r.recipient}: ${r.reply}`).join('; ');
      // Permanent only when no recipient may get it later.
      const kind = deferred.length ? 'transient' : 'permanent';
      throw new DeliveryError(say(FAILURES.everyRecipientRefused, { summary }), kind, 'message', (deferred[0] ?? all[0])?.code ?? null, all);
    }
    return { reply, replyCode: Number(/^\d{3}/.exec(reply)?.[0]) || null, accepted, rejected, deferred };
  };

  /**
   * The walk as this route opens its sessions; with XOAUTH2 a 535 may only mean the cached token
   * went stale (the route is checked first after a rebuild): one more walk with a fresh token.
   */
  const walkAs = async (sender: string | null, recipient: string | null) => {
    const user = signInAs(sender ?? '');
    const ctx = context(sender ?? '', user);
    // A walk waits for the server no longer than for a greeting: an administrator is waiting.
    const o = { ...sessionFor(user), socketMs: Math.min(timeouts.socketMs, timeouts.greetingMs) };
    const first = await walk(o, ctx, sender, recipient);
    if (!(oauth && first.failure?.replyCode === 535)) return first;
    oauth.provider.invalidate(oauth.scope);
    const again = await walk(o, ctx, sender, recipient);
    if (again.failure?.replyCode === 535) oauth.provider.invalidate(oauth.scope);
    return again;
  };

  /** The sender every e-mail without a user has; a user name that is no address is not tried. */
  const checkedSender = () => settings.postmaster || (settings.smtpUser.includes('@') ? settings.smtpUser : null);

  return {
    name: oauth ? 'smtp-oauth' : 'smtp',
    description: `SMTP ${where}${implicitTls ? ' (TLS)' : settings.startTls ? ' (STARTTLS)' : ' (plain)'}${oauth ? ' with OAuth 2.0' : settings.smtpUser ? ` as ${settings.smtpUser}` : ''}`,
    async send(message: OutgoingMessage): Promise<DeliveryReport> {
      const user = signInAs(message.envelope.from);
      const refusal = plaintextRefusal(user);
      if (refusal) throw refusal;
      try {
        return await deliver(message, user);
      } catch (err) {
        const failure = classify(err, context(message.envelope.from, user));
        // Exchange answers a stale or wrong token with 535 at once: fetch a new token and try once more.
        if (oauth && failure.replyCode === 535 && failure.scope === 'route') {
          oauth.provider.invalidate(oauth.scope);
          return await deliver(message, user);
        }
        throw failure;
      }
    },
    prepare(message: OutgoingMessage): void {
      const mime = buildMime(message, { keepBcc: false });
      // Awaited by send(); until then a refusal must not count as unhandled.
      mime.catch(() => undefined);
      prepared.set(message, mime);
    },
    async verify() {
      const sender = checkedSender();
      const refusal = plaintextRefusal(signInAs(sender ?? ''));
      if (refusal) throw refusal;
      const { failure } = await walkAs(sender, null);
      if (failure) throw failure;
    },
    async diagnose(sender: string, recipient: string): Promise<Diagnosis> {
      const { steps } = await walkAs(sender, recipient);
      return { ok: steps.every((x) => x.ok), route: `SMTP ${where}`, steps };
    },
    async close() {
      closed = true;
      for (const p of pools.values()) p.close();
      pools.clear();
    },
  };
}
