// The Microsoft clouds Postroom can send through, and every endpoint that follows from the choice:
// sign-in, Graph and its scope, Exchange Online SMTP and its scope, and whether upload sessions exist.
//
// Sources (learn.microsoft.com):
// - "Microsoft Graph national cloud deployments" (graph/deployments): Entra ID endpoints
//   login.microsoftonline.com / login.microsoftonline.us / login.chinacloudapi.cn, and Graph roots
//   graph.microsoft.com, graph.microsoft.us (L4, GCC High), dod-graph.microsoft.us (L5, DoD),
//   microsoftgraph.chinacloudapi.cn; a .default scope uses the national Graph root's domain
//   ("Access national cloud deployments with the Microsoft Graph SDKs", Permission scopes).
// - Exchange Online SMTP per cloud ("Authenticate an IMAP, POP or SMTP connection using OAuth" and
//   "Microsoft 365 GCC High and DoD endpoints", "Office 365 operated by 21Vianet endpoints"):
//   smtp.office365.com with https://outlook.office365.com/.default; smtp.office365.us with
//   https://outlook.office365.us/.default; smtp.partner.outlook.cn with https://partner.outlook.cn/.default.
//   IMAP (the same pages): outlook.office365.com, outlook.office365.us, partner.outlook.cn, with the
//   same scope as SMTP and the IMAP.AccessAsApp application permission.
// - "attachment: createUploadSession", national cloud table: available in the global service and
//   China (21Vianet), not in US Government L4 (GCC High) nor L5 (DoD). POST …/attachments (files
//   under 3 MB) is available in all four ("message: add attachment").

export const CLOUD_NAMES = ['worldwide', 'gcc-high', 'dod', 'china'] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];

export interface MicrosoftCloud {
  title: string;
  loginUrl: string;
  graphUrl: string;
  smtpHost: string;
  smtpScope: string;
  /** Exchange Online IMAP (bounce processing); the token is the SMTP scope's, with IMAP.AccessAsApp. */
  imapHost: string;
  /** Graph's createUploadSession for Outlook attachments (files of 3 MB and more). */
  uploadSessions: boolean;
}

export const CLOUDS: Record<CloudName, MicrosoftCloud> = {
  worldwide: {
    title: 'Worldwide (global service)',
    loginUrl: 'https://login.microsoftonline.com',
    graphUrl: 'https://graph.microsoft.com',
    smtpHost: 'smtp.office365.com',
    smtpScope: 'https://outlook.office365.com/.default',
    imapHost: 'outlook.office365.com',
    uploadSessions: true,
  },
  'gcc-high': {
    title: 'US Government GCC High (L4)',
    loginUrl: 'https://login.microsoftonline.us',
    graphUrl: 'https://graph.microsoft.us',
    smtpHost: 'smtp.office365.us',
    smtpScope: 'https://outlook.office365.us/.default',
    imapHost: 'outlook.office365.us',
    uploadSessions: false,
  },
  dod: {
    title: 'US Government DoD (L5)',
    loginUrl: 'https://login.microsoftonline.us',
    graphUrl: 'https://dod-graph.microsoft.us',
    smtpHost: 'smtp.office365.us',
    smtpScope: 'https://outlook.office365.us/.default',
    imapHost: 'outlook.office365.us',
    uploadSessions: false,
  },
  china: {
    title: 'China, operated by 21Vianet',
    loginUrl: 'https://login.chinacloudapi.cn',
    graphUrl: 'https://microsoftgraph.chinacloudapi.cn',
    smtpHost: 'smtp.partner.outlook.cn',
    smtpScope: 'https://partner.outlook.cn/.default',
    imapHost: 'partner.outlook.cn',
    uploadSessions: true,
  },
};

export const isCloudName = (s: string): s is CloudName => (CLOUD_NAMES as readonly string[]).includes(s);

export function cloudOf(name: string): MicrosoftCloud {
  return isCloudName(name) ? CLOUDS[name] : CLOUDS.worldwide;
}

/**
 * Graph's attachment rules ("Attach large files to Outlook messages or events"): a file under 3 MB
 * is POSTed to the message's attachments, a file of 3 MB to 150 MB goes through an upload session.
 * "MB" is read as 10^6 bytes: the one reading that leaves no file without a way in, since users
 * report POST refused above about 3,145,600 bytes and sessions refused below 2 MiB
 * (microsoft-graph-docs issue #4690, msgraph-sdk-java #52).
 */
export const UPLOAD_SESSION_MIN_BYTES = 3_000_000;
export const UPLOAD_SESSION_MAX_BYTES = 150_000_000;
