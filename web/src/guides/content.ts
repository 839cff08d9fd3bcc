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
  {
    text: 'Or, as Microsoft recommends, a certificate instead of the secret (secrets expire within 24 months and must be typed again). Make one, upload postroom.crt under Certificates & secrets → Certificates → Upload certificate, and paste the certificate followed by its key into Client certificate. Postroom reads its expiry and warns from 30 days before; the key is never shown again.',
    code: [
      'openssl req -x509 -newkey rsa:2048 -nodes -days 730 -subj "/CN=Postroom" -keyout postroom.key -out postroom.crt',
      'cat postroom.crt postroom.key      # paste this into Client certificate, then delete postroom.key',
    ].join('\n'),
    fills: ['clientCertificate'],
  },
  {
    text: 'Outside the worldwide cloud (US Government GCC High or DoD, China operated by 21Vianet), register the app in that cloud’s Entra admin center and choose it in Microsoft cloud: sign-in, Graph and SMTP endpoints follow. GCC High and DoD have no Graph upload sessions: there, files of 3 MB or more are refused when handed over.',
    fills: ['microsoftCloud'],
  },
];

const RBAC_STEP: GuideStep = {
  text: 'To limit the app to the postmaster mailbox, use RBAC for Applications in Exchange Online instead of the tenant-wide Graph permission (grants add up: remove the Mail.Send permission granted in Entra ID once the scoped one is in place). Mail.Send alone lets the app send as any mailbox of the tenant; Mail.ReadWrite lets it read, create, change and delete mail in every mailbox (it does not send).',
  code: [
    'Connect-ExchangeOnline',
    'New-ServicePrincipal -AppId <client ID> -ObjectId <enterprise application object ID> -DisplayName Postroom',
    'New-ManagementScope -Name "Postroom mailboxes" -RecipientRestrictionFilter "PrimarySmtpAddress -eq \'postmaster@contoso.com\'"',
    'New-ManagementRoleAssignment -App <service principal ID> -Role "Application Mail.Send" -CustomResourceScope "Postroom mailboxes"',
    'New-ManagementRoleAssignment -App <service principal ID> -Role "Application Mail.ReadWrite" -CustomResourceScope "Postroom mailboxes"   # drafts and e-mails over 4 MB',
    'Test-ServicePrincipalAuthorization -Identity <service principal ID> -Resource postmaster@contoso.com',
  ].join('\n'),
};

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
        text: 'SMTP AUTH must be allowed for the tenant as well as the mailbox: a “535 5.7.139” reply means it is not (or security defaults block it). Check and fix:',
        code: [
          'Get-TransportConfig | Format-List SmtpClientAuthenticationDisabled    # must be False',
          'Set-TransportConfig -SmtpClientAuthenticationDisabled $false',
          'Get-CASMailbox -Identity postmaster@contoso.com | Format-List SmtpClientAuthenticationDisabled    # False or empty',
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
        text: 'API permissions → Microsoft Graph → Application permissions → Mail.Send (sending) and Mail.ReadWrite (Outlook (New) drafts and e-mails over 4 MB, which Graph takes as a draft) → Grant admin consent. Test connection reads the token and names a permission that is missing.',
      },
      RBAC_STEP,
      {
        text: 'In Postroom, apply the “Microsoft Graph” preset, then fill in the three IDs and the postmaster mailbox.',
        fills: ['useGraph', 'tenantId', 'clientId', 'clientSecret', 'postmaster'],
      },
      {
        text: 'For Outlook (New) users, where their drafts are created. “user-mailbox”: in the user’s own mailbox when it is one of the tenant (it appears in their Drafts, no extra rights), else in the sender mailbox with a note. “sender-mailbox” (the default): in the Outlook (New) address, else the postmaster; then each user who opens those drafts needs Full Access and Send As on that mailbox:',
        code: [
          'Add-MailboxPermission -Identity drafts@contoso.com -User olivia@contoso.com -AccessRights FullAccess -InheritanceType All',
          'Add-RecipientPermission -Identity drafts@contoso.com -Trustee olivia@contoso.com -AccessRights SendAs',
        ].join('\n'),
        fills: ['outlookNewDraftsIn', 'outlookNewAddress'],
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
