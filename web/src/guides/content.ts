// The setup guides, step by step (docs/setup-guides.md is generated from them). Each step names the settings it fills so
// the page can link straight to them on Configuration > Email. The words are in the message
// catalogues (guides.<name>.title and .intro, guides.steps.<step>), so each language has them.

export interface GuideStep {
  /** Catalogue key of the step's text, under guides.steps. */
  text: string;
  /** Commands or values to copy. */
  code?: string;
  /** Settings this step fills in. */
  fills?: string[];
}

export interface Guide {
  /** Also the catalogue key of its title and intro, under guides. */
  name: string;
  /** The preset that sets this route's fixed values. */
  preset?: string;
  steps: GuideStep[];
}

const ENTRA_STEPS: GuideStep[] = [
  { text: 'entraRegister', fills: ['clientId', 'tenantId'] },
  { text: 'entraSecret', fills: ['clientSecret', 'clientSecretExpiresAt'] },
  {
    text: 'entraCertificate',
    code: [
      'openssl req -x509 -newkey rsa:2048 -nodes -days 730 -subj "/CN=Postroom" -keyout postroom.key -out postroom.crt',
      'cat postroom.crt postroom.key',
    ].join('\n'),
    fills: ['clientCertificate'],
  },
  { text: 'entraCloud', fills: ['microsoftCloud'] },
];

const RBAC_STEP: GuideStep = {
  text: 'graphRbac',
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
    preset: 'exchange365-oauth',
    steps: [
      ...ENTRA_STEPS,
      { text: 'exchangePermission' },
      { text: 'exchangeObjectId' },
      {
        text: 'exchangePowerShell',
        code: [
          'Connect-ExchangeOnline',
          'New-ServicePrincipal -AppId <client ID> -ObjectId <enterprise application object ID>',
          'Add-MailboxPermission -Identity postmaster@contoso.com -User <service principal ID> -AccessRights FullAccess',
          'Set-CASMailbox -Identity postmaster@contoso.com -SmtpClientAuthenticationDisabled $false',
        ].join('\n'),
      },
      {
        text: 'exchangeSmtpAuth',
        code: [
          'Get-TransportConfig | Format-List SmtpClientAuthenticationDisabled    # must be False',
          'Set-TransportConfig -SmtpClientAuthenticationDisabled $false',
          'Get-CASMailbox -Identity postmaster@contoso.com | Format-List SmtpClientAuthenticationDisabled    # False or empty',
        ].join('\n'),
      },
      { text: 'exchangePreset', fills: ['useOAuth', 'tenantId', 'clientId', 'clientSecret', 'postmaster'] },
      { text: 'exchangeTest' },
      {
        text: 'exchangeBounces',
        code: [
          'Set-CASMailbox -Identity postmaster@contoso.com -ImapEnabled $true',
          'Get-MailboxPermission -Identity postmaster@contoso.com -User <service principal ID>    # FullAccess, from the step above',
        ].join('\n'),
        fills: ['bounceProcessing', 'bounceCheckIntervalSeconds'],
      },
    ],
  },
  {
    name: 'graph',
    preset: 'graph',
    steps: [
      ...ENTRA_STEPS,
      { text: 'graphPermission' },
      RBAC_STEP,
      { text: 'graphPreset', fills: ['useGraph', 'tenantId', 'clientId', 'clientSecret', 'postmaster'] },
      {
        text: 'graphDrafts',
        code: [
          'Add-MailboxPermission -Identity drafts@contoso.com -User olivia@contoso.com -AccessRights FullAccess -InheritanceType All',
          'Add-RecipientPermission -Identity drafts@contoso.com -Trustee olivia@contoso.com -AccessRights SendAs',
        ].join('\n'),
        fills: ['outlookNewDraftsIn', 'outlookNewAddress'],
      },
      { text: 'graphTest' },
      { text: 'graphBounces', fills: ['bounceProcessing', 'bounceCheckIntervalSeconds'] },
    ],
  },
  {
    name: 'google-workspace',
    preset: 'google-workspace',
    steps: [
      { text: 'google2sv' },
      { text: 'googleAppPassword' },
      { text: 'googlePreset', fills: ['smtpHost', 'smtpUser', 'smtpPassword'] },
      { text: 'googlePostmaster', fills: ['postmaster'] },
      { text: 'googleTest' },
      { text: 'googleBounces', fills: ['bounceProcessing', 'imapUser', 'imapPassword'] },
    ],
  },
  {
    name: 'google-service-account',
    preset: 'google-service-account',
    steps: [
      { text: 'googleSaCreate' },
      { text: 'googleSaKey', fills: ['googleServiceAccountKey', 'googleServiceAccount'] },
      { text: 'googleSaDelegation', code: 'https://mail.google.com/' },
      { text: 'googleSaPreset', fills: ['useGoogleServiceAccount', 'smtpHost', 'postmaster'] },
      { text: 'googleSaTest' },
      { text: 'googleSaBounces', fills: ['bounceProcessing'] },
    ],
  },
  {
    name: 'google-relay',
    preset: 'google-relay',
    steps: [
      { text: 'googleRelayAdmin' },
      { text: 'googleRelayChoices' },
      { text: 'googleRelayPreset', fills: ['smtpHost', 'smtpPort', 'startTls', 'smtpUser', 'smtpPassword', 'postmaster'] },
      { text: 'googleRelayTest' },
    ],
  },
  {
    name: 'company-relay',
    steps: [
      { text: 'relayAsk' },
      { text: 'relayHost', fills: ['smtpHost', 'smtpPort', 'startTls'] },
      { text: 'relayLogin', fills: ['smtpUser', 'smtpPassword'] },
      { text: 'relaySender', fills: ['postmaster', 'forcePostmaster'] },
      { text: 'relayCa', fills: ['smtpCaCertificate'] },
      { text: 'relayTest' },
      { text: 'relayBounces', fills: ['bounceProcessing', 'imapHost', 'imapPort', 'imapUser', 'imapPassword'] },
    ],
  },
];
