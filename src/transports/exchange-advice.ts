// What Exchange Online's SMTP refusals mean for an administrator, and the switches that fix them.
// Codes from Microsoft's "Enable or disable SMTP AUTH in Exchange Online" and NDR 5.7.139/5.2.252 pages.

/** Advice for a reply from Exchange Online, or null when the reply is not one we can explain. */
export function exchangeSmtpAdvice(reply: string): string | null {
  if (/\b5\.7\.139\b/.test(reply)) {
    // "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant/Mailbox"
    // or "…, the request did not meet the criteria to be authenticated successfully" (security defaults).
    return (
      'SMTP AUTH is turned off for the tenant or the mailbox, or security defaults block it: ' +
      'in Exchange Online PowerShell run Set-TransportConfig -SmtpClientAuthenticationDisabled $false (tenant) ' +
      'and Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false (mailbox); ' +
      'with security defaults on (Entra ID > Overview > Properties), passwords cannot sign in to SMTP: use the Graph route or SMTP with OAuth'
    );
  }
  if (/\b5\.2\.252\b/.test(reply) || /SendAsDenied/i.test(reply)) {
    return (
      'the signed-in mailbox may not send as the From address: grant it Send As on that address ' +
      '(Add-RecipientPermission -Identity <from address> -Trustee <signed-in mailbox> -AccessRights SendAs), ' +
      'or check "Force postmaster as sender of all emails" so e-mails leave from the postmaster'
    );
  }
  return null;
}
