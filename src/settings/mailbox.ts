// Where bounce processing reads the postmaster's mailbox, derived from the sending route: IMAP with a
// password (a company server, Google), IMAP with XOAUTH2 (Exchange Online, or Gmail with a Google
// service account's token for the user it acts as), or Microsoft Graph.
import type { EmailSettings, SettingKey } from './fields.js';
import { cloudOf } from './clouds.js';
import { googleDelegatedUser, routeKind } from './routes.js';

export type BounceMailbox =
  | {
      kind: 'imap';
      host: string;
      port: number;
      /** 993: TLS from the first byte; any other port: STARTTLS, required. */
      implicitTls: boolean;
      user: string;
      /** xoauth2: a Microsoft app token; google: a service account's token for `user`. */
      auth: { kind: 'password'; password: string } | { kind: 'xoauth2' } | { kind: 'google' };
    }
  | { kind: 'graph'; mailbox: string };

export type MailboxPlan = { mailbox: BounceMailbox; problems: [] } | { mailbox: null; problems: { key: SettingKey; message: string }[] };

/** The IMAP host that goes with an SMTP host when the administrator names none. */
export function defaultImapHost(s: Pick<EmailSettings, 'smtpHost' | 'useOAuth' | 'useGraph' | 'microsoftCloud'> & Partial<Pick<EmailSettings, 'useGoogleServiceAccount'>>): string {
  const route = routeKind(s);
  if (route === 'oauth') return cloudOf(s.microsoftCloud).imapHost;
  const smtp = s.smtpHost.trim().toLowerCase().replace(/\.$/, '');
  if (route === 'google' && smtp === '') return 'imap.gmail.com';
  if (smtp === 'smtp.gmail.com' || smtp === 'smtp-relay.gmail.com' || smtp === 'smtp.googlemail.com') return 'imap.gmail.com';
  if (smtp === 'smtp.office365.com') return 'outlook.office365.com';
  return smtp;
}

/**
 * The mailbox to read, or why it cannot be read. `secrets` holds the secrets in the clear (the
 * sending process) or '(set)' (the settings view, which never decrypts).
 */
export function bounceMailbox(s: EmailSettings): MailboxPlan {
  const route = routeKind(s);
  if (route === 'graph') {
    if (!s.postmaster) return { mailbox: null, problems: [{ key: 'postmaster', message: "bounce processing reads the postmaster's mailbox through Microsoft Graph: set the Mail postmaster" }] };
    return { mailbox: { kind: 'graph', mailbox: s.postmaster }, problems: [] };
  }
  const derived = defaultImapHost(s);
  const host = s.imapHost.trim() || derived;
  const implicitTls = s.imapPort === 993;
  if (route === 'oauth') {
    const user = s.imapUser || s.postmaster;
    if (!user) return { mailbox: null, problems: [{ key: 'imapUser', message: 'bounce processing needs the mailbox to read: set the Mail postmaster (or IMAP user)' }] };
    return { mailbox: { kind: 'imap', host, port: s.imapPort, implicitTls, user, auth: { kind: 'xoauth2' } }, problems: [] };
  }
  if (route === 'google') {
    // The token is for the one user the service account acts as: that mailbox is the one read.
    const user = googleDelegatedUser(s);
    if (!user) return { mailbox: null, problems: [{ key: 'imapUser', message: 'bounce processing needs the mailbox to read: set the Mail postmaster (or IMAP user)' }] };
    return { mailbox: { kind: 'imap', host, port: s.imapPort, implicitTls, user, auth: { kind: 'google' } }, problems: [] };
  }
  if (!host) return { mailbox: null, problems: [{ key: 'imapHost', message: 'bounce processing needs the IMAP host of the postmaster\'s mailbox' }] };
  const user = s.imapUser || s.smtpUser;
  if (!user) return { mailbox: null, problems: [{ key: 'imapUser', message: "bounce processing needs a login for the postmaster's mailbox: set IMAP user (or SMTP user)" }] };
  // The SMTP password goes only to the SMTP server's own IMAP host, for the same login: pointing
  // IMAP elsewhere must not be a way to receive it.
  const sameAccount = host.toLowerCase() === derived && (!s.imapUser || s.imapUser === s.smtpUser);
  const password = s.imapPassword || (sameAccount ? s.smtpPassword : '');
  if (!password) {
    const message = s.smtpPassword && !sameAccount
      ? `IMAP password is required: the SMTP password is only used for the SMTP account on its own server's IMAP host (${derived || 'none'})`
      : 'IMAP password is required (or the SMTP password, for the same account on the same server)';
    return { mailbox: null, problems: [{ key: 'imapPassword', message }] };
  }
  return { mailbox: { kind: 'imap', host, port: s.imapPort, implicitTls, user, auth: { kind: 'password', password } }, problems: [] };
}
