// The values of the setup guides, applied as one audited change. Presets never touch
// addresses (the administrator's own); a secret bound to a setting they move is cleared (bindings.ts).
import type { EmailSettings } from './fields.js';

export interface Preset {
  name: string;
  title: string;
  values: Partial<EmailSettings>;
  /** What the administrator still has to fill in after applying it. */
  next: string;
}

export const PRESETS: Record<string, Preset> = {
  'exchange365-oauth': {
    name: 'exchange365-oauth',
    title: 'Exchange 365 with OAuth 2.0 (SMTP XOAUTH2)',
    values: {
      smtpHost: 'smtp.office365.com',
      smtpPort: 587,
      startTls: true,
      useOAuth: true,
      useGraph: false,
      smtpMaxConnections: 3,
      maxMessagesPerMinute: 30,
      // Bounces, when read: the postmaster mailbox on Exchange Online's IMAP, with the same token.
      imapHost: '',
      imapPort: 993,
    },
    next: 'fill in Tenant ID, Client ID, Client Secret and the postmaster mailbox',
  },
  graph: {
    name: 'graph',
    title: 'Microsoft Graph',
    values: {
      useGraph: true,
      useOAuth: false,
      maxMessagesPerMinute: 30,
    },
    next: 'fill in Tenant ID, Client ID, Client Secret and the postmaster mailbox',
  },
  'google-workspace': {
    name: 'google-workspace',
    title: 'Google Workspace (SMTP with an app password)',
    values: {
      smtpHost: 'smtp.gmail.com',
      smtpPort: 587,
      startTls: true,
      useOAuth: false,
      useGraph: false,
      smtpMaxConnections: 3,
      maxMessagesPerMinute: 60,
      // Bounces, when read: imap.gmail.com with the same app password.
      imapHost: '',
      imapPort: 993,
    },
    next: 'fill in SMTP user (the Google account) and SMTP password (an app password, not the account password)',
  },
  'google-service-account': {
    name: 'google-service-account',
    title: 'Google Workspace with a service account (no password)',
    values: {
      smtpHost: 'smtp.gmail.com',
      smtpPort: 587,
      startTls: true,
      useGoogleServiceAccount: true,
      useOAuth: false,
      useGraph: false,
      smtpMaxConnections: 3,
      maxMessagesPerMinute: 60,
      // Bounces, when read: imap.gmail.com with the same service account's token.
      imapHost: '',
      imapPort: 993,
    },
    next: 'save the service account key (JSON) and the postmaster mailbox, and grant domain-wide delegation to the client ID shown',
  },
  'google-relay': {
    name: 'google-relay',
    title: 'Google Workspace SMTP relay service (smtp-relay.gmail.com)',
    values: {
      smtpHost: 'smtp-relay.gmail.com',
      smtpPort: 587,
      // The relay service requires TLS ("SMTP relay service" setting "Require TLS encryption").
      startTls: true,
      useGoogleServiceAccount: false,
      useOAuth: false,
      useGraph: false,
      smtpMaxConnections: 3,
      maxMessagesPerMinute: 150,
    },
    next: "allow this server's public IP address in the Admin console's SMTP relay service (then leave SMTP user empty), or require SMTP authentication there and fill in SMTP user and an app password",
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);
