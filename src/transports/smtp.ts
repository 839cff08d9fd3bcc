// The SMTP route: nodemailer pools of at most smtpMaxConnections. STARTTLS is required when the
// setting says so (never a plaintext fallback), implicit TLS on 465. Authentication is a password,
// or XOAUTH2 with a Microsoft token, signing in as smtpUser or else as the sending mailbox.
import nodemailer, { type Transporter } from 'nodemailer';
import net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { OutgoingMessage } from '../queue/index.js';
import type { EmailSettings } from '../settings/index.js';
import { classifySmtpError, rejectedFromInfo } from './smtp-errors.js';
import { DeliveryError, type DeliveryReport, type Route } from './route.js';
import type { TokenProvider } from './oauth.js';
import { toMailOptions } from './mime.js';

export interface SmtpTimeouts {
  connectionMs: number;
  greetingMs: number;
  socketMs: number;
}

export interface RouteOptions {
  /** Extra trusted CA certificates (PEM), for embedders and tests; administrators use smtpCaCertificate. */
  ca?: string | string[] | undefined;
  timeouts?: Partial<SmtpTimeouts>;
  /** nodemailer's own protocol log, for debugging a server (never includes AUTH data). */
  debug?: boolean;
}

export interface XOAuth2 {
  provider: TokenProvider;
  scope: string;
}

const DEFAULT_TIMEOUTS: SmtpTimeouts = { connectionMs: 30_000, greetingMs: 30_000, socketMs: 120_000 };
export const EXCHANGE_SMTP_HOST = 'smtp.office365.com';

type SmtpSettings = Pick<EmailSettings, 'smtpHost' | 'smtpPort' | 'smtpUser' | 'smtpPassword' | 'startTls' | 'smtpMaxConnections' | 'postmaster'>;

// Exchange answers a refused XOAUTH2 sign-in with 535 5.7.3; its usual causes, for the administrator.
export const EXCHANGE_535_HELP =
  'check that the app has the SMTP.SendAsApp application permission of Office 365 Exchange Online with admin consent, ' +
  'that it is registered in Exchange Online (New-ServicePrincipal with the Enterprise application object ID), ' +
  'that it has FullAccess on the mailbox (Add-MailboxPermission), and that SMTP AUTH is enabled for the mailbox';

export function createSmtpRoute(settings: SmtpSettings, options: RouteOptions = {}, oauth?: XOAuth2): Route {
  const host = settings.smtpHost || (oauth ? EXCHANGE_SMTP_HOST : '');
  const port = settings.smtpPort;
  const where = `${host}:${port}`;
  const implicitTls = port === 465;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const tls: ConnectionOptions = { servername: net.isIP(host) ? undefined : host, minVersion: 'TLSv1.2', ...(options.ca ? { ca: options.ca } : {}) };
  // One pool per signed-in mailbox: with XOAUTH2 the user can change from one e-mail to the next,
  // and Exchange's connection limit counts per mailbox.
  const pools = new Map<string, Transporter>();

  const auth = (user: string) => {
    if (oauth) {
      return {
        auth: {
          type: 'OAuth2' as const,
          user,
          provisionCallback: (_user: string, renew: boolean, done: (err: Error | null, token?: string) => void) => {
            oauth.provider.getToken(oauth.scope, { forceRefresh: renew }).then(
              (token) => done(null, token),
              (err: Error) => done(err),
            );
          },
        },
      };
    }
    return settings.smtpUser ? { auth: { user: settings.smtpUser, pass: settings.smtpPassword } } : {};
  };

  const pool = (user: string): Transporter => {
    let t = pools.get(user);
    if (!t) {
      t = nodemailer.createTransport({
        pool: true,
        host,
        port,
        secure: implicitTls,
        requireTLS: !implicitTls && settings.startTls,
        ignoreTLS: !implicitTls && !settings.startTls,
        maxConnections: settings.smtpMaxConnections,
        maxMessages: 100,
        connectionTimeout: timeouts.connectionMs,
        greetingTimeout: timeouts.greetingMs,
        socketTimeout: timeouts.socketMs,
        tls,
        ...auth(user),
        logger: options.debug ?? false,
        debug: options.debug ?? false,
      });
      pools.set(user, t);
    }
    return t;
  };

  /** The XOAUTH2 user: smtpUser, or else the mailbox the e-mail is sent from. */
  const signInAs = (sender: string) => (oauth ? settings.smtpUser || sender : '');

  const explain = (err: DeliveryError, user: string): DeliveryError => {
    if (oauth && err.replyCode === 535) {
      return new DeliveryError(`${err.message} (signed in as ${user} with OAuth: ${EXCHANGE_535_HELP})`, err.kind, err.scope, err.replyCode);
    }
    return err;
  };

  const sendOnce = async (message: OutgoingMessage): Promise<DeliveryReport> => {
    const info = await pool(signInAs(message.envelope.from)).sendMail(toMailOptions(message));
    const reply = typeof info.response === 'string' ? info.response.trim() : '';
    return {
      reply,
      replyCode: Number(/^\d{3}/.exec(reply)?.[0]) || null,
      accepted: (info.accepted ?? []).map(String),
      rejected: rejectedFromInfo(info.rejectedErrors),
    };
  };

  return {
    name: oauth ? 'smtp-oauth' : 'smtp',
    description: `SMTP ${where}${implicitTls ? ' (TLS)' : settings.startTls ? ' (STARTTLS)' : ' (plain)'}${oauth ? ' with OAuth 2.0' : settings.smtpUser ? ` as ${settings.smtpUser}` : ''}`,
    async send(message: OutgoingMessage): Promise<DeliveryReport> {
      const user = signInAs(message.envelope.from);
      try {
        return await sendOnce(message);
      } catch (err) {
        if (err instanceof DeliveryError) throw err;
        const failure = classifySmtpError(err, where);
        // Exchange answers a stale or wrong token with 535 at once: fetch a new token and try once more.
        if (oauth && failure.replyCode === 535) {
          oauth.provider.invalidate(oauth.scope);
          try {
            return await sendOnce(message);
          } catch (again) {
            throw explain(again instanceof DeliveryError ? again : classifySmtpError(again, where), user);
          }
        }
        throw failure;
      }
    },
    async verify() {
      const user = signInAs(settings.smtpUser || settings.postmaster);
      const check = async () => {
        if (oauth) await oauth.provider.getToken(oauth.scope);
        await pool(user).verify();
      };
      try {
        await check();
      } catch (err) {
        if (err instanceof DeliveryError) throw err;
        let failure = classifySmtpError(err, where);
        // As in send(): a 535 may only mean the cached token went stale (the route is checked
        // first after a rebuild), so one more try with a fresh token before calling the route broken.
        if (oauth && failure.replyCode === 535) {
          oauth.provider.invalidate(oauth.scope);
          try {
            await check();
            return;
          } catch (again) {
            if (again instanceof DeliveryError) throw again;
            failure = classifySmtpError(again, where);
            if (failure.replyCode === 535) oauth.provider.invalidate(oauth.scope);
          }
        }
        throw explain(failure, user);
      }
    },
    async close() {
      for (const t of pools.values()) t.close();
      pools.clear();
    },
  };
}
