// The setup guides, step by step, as in the README. Each step names the settings it fills so
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
];

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
      { text: 'exchangePreset', fills: ['useOAuth', 'tenantId', 'clientId', 'clientSecret', 'postmaster'] },
      { text: 'exchangeTest' },
    ],
  },
  {
    name: 'graph',
    preset: 'graph',
    steps: [
      ...ENTRA_STEPS,
      { text: 'graphPermission' },
      { text: 'graphPreset', fills: ['useGraph', 'tenantId', 'clientId', 'clientSecret', 'postmaster'] },
      { text: 'graphDrafts', fills: ['outlookNewAddress'] },
      { text: 'graphTest' },
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
    ],
  },
  {
    name: 'company-relay',
    steps: [
      { text: 'relayAsk' },
      { text: 'relayHost', fills: ['smtpHost', 'smtpPort', 'startTls'] },
      { text: 'relayLogin', fills: ['smtpUser', 'smtpPassword'] },
      { text: 'relaySender', fills: ['postmaster', 'forcePostmaster'] },
      { text: 'relayCa', code: 'NODE_EXTRA_CA_CERTS=/etc/ssl/company-ca.pem npm start' },
      { text: 'relayTest' },
    ],
  },
];
