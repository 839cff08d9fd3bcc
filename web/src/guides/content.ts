// The setup guides, step by step, as in the README. Each step names the settings it fills so
// the page can link straight to them on Configuration > Email.

export interface GuideStep {
  text: string;
  /** Commands or values to copy. */
  code?: string;
  /** Settings this step fills in. */
  fills?: string[];
}

export interface Guide {
  name: string;
  title: string;
  intro: string;
  /** The preset that sets this route's fixed values. */
  preset?: string;
  steps: GuideStep[];
}

const ENTRA_STEPS: GuideStep[] = [
  {
    text: 'Microsoft Entra admin center → App registrations → New registration (accounts in this organizational directory only). On its Overview, copy the Application (client) ID and the Directory (tenant) ID.',
    fills: ['clientId', 'tenantId'],
  },
  {
    text: 'Certificates & secrets → New client secret. Copy its Value at once (not the Secret ID: the Value is shown only now), and note the expiry date you chose: Postroom warns from 30 days before.',
    fills: ['clientSecret', 'clientSecretExpiresAt'],
  },
];

export const GUIDES: Guide[] = [
  {
    name: 'exchange365-oauth',
    title: 'Exchange 365 with OAuth 2.0 (SMTP XOAUTH2)',
    intro:
      'Microsoft turns Basic authentication for SMTP AUTH off by default at the end of December 2026. This route keeps SMTP working: Postroom signs in to smtp.office365.com with an OAuth token of its own app registration.',
    preset: 'exchange365-oauth',
    steps: [
      ...ENTRA_STEPS,
      {
        text: 'API permissions → Add a permission → APIs my organization uses → Office 365 Exchange Online → Application permissions → SMTP.SendAsApp. Then Grant admin consent for your organization.',
      },
      {
        text: 'Enterprise applications → open the same application and copy its Object ID (it differs from the app registration’s object ID).',
      },
      {
        text: 'In Exchange Online PowerShell, register the application in Exchange, give it the mailbox Postroom sends from, and make sure SMTP AUTH is on for that mailbox:',
        code: [
          'Connect-ExchangeOnline',
          'New-ServicePrincipal -AppId <client ID> -ObjectId <enterprise application object ID>',
          'Add-MailboxPermission -Identity postmaster@contoso.com -User <service principal ID> -AccessRights FullAccess',
          'Set-CASMailbox -Identity postmaster@contoso.com -SmtpClientAuthenticationDisabled $false',
        ].join('\n'),
      },
      {
        text: 'In Postroom, apply the “Exchange 365 with OAuth 2.0” preset, then fill in the three IDs and the postmaster mailbox. SMTP user may stay empty: Postroom signs in as the sending mailbox.',
        fills: ['useOAuth', 'tenantId', 'clientId', 'clientSecret', 'postmaster'],
      },
      {
        text: 'Test connection. A “535 5.7.3 Authentication unsuccessful” reply means one of steps 3 to 5 is missing; the reply names them.',
      },
    ],
  },
  {
    name: 'graph',
    title: 'Microsoft Graph',
    intro: 'For tenants where SMTP AUTH stays off. Postroom sends through the Graph API with its app registration; the same app creates drafts for Outlook (New) users.',
    preset: 'graph',
    steps: [
      ...ENTRA_STEPS,
      {
        text: 'API permissions → Microsoft Graph → Application permissions → Mail.Send (sending) and Mail.ReadWrite (Outlook (New) drafts and large attachments) → Grant admin consent. To limit the app to some mailboxes, use Exchange Online RBAC for Applications.',
      },
      {
        text: 'In Postroom, apply the “Microsoft Graph” preset, then fill in the three IDs and the postmaster mailbox.',
        fills: ['useGraph', 'tenantId', 'clientId', 'clientSecret', 'postmaster'],
      },
      {
        text: 'For Outlook (New) users, the mailbox where their drafts are created (empty: the postmaster).',
        fills: ['outlookNewAddress'],
      },
      { text: 'Test connection: it asks Microsoft for a token and reports the answer.' },
    ],
  },
  {
    name: 'google-workspace',
    title: 'Google Workspace',
    intro: 'Google no longer accepts sign-in with the account password from mail programs (“less secure apps” ended in September 2024): Postroom uses an app password over SMTP with STARTTLS.',
    preset: 'google-workspace',
    steps: [
      { text: 'On the sending Google account, turn on 2-Step Verification (Google Account → Security).' },
      { text: 'Google Account → Security → App passwords: create one named “Postroom” and copy the 16 characters.' },
      {
        text: 'In Postroom, apply the “Google Workspace” preset (smtp.gmail.com, port 587, STARTTLS), then the account’s address as SMTP user and the app password as SMTP password.',
        fills: ['smtpHost', 'smtpUser', 'smtpPassword'],
      },
      {
        text: 'Mail postmaster: the same address, or an alias the account may send as. Google Workspace allows about 2,000 e-mails a day per user.',
        fills: ['postmaster'],
      },
      { text: 'Test connection, then send a test e-mail.' },
    ],
  },
];
