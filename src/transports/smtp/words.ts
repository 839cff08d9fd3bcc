// Every sentence Postroom writes about an SMTP route: its failures (stored with the e-mail, shown
// in the banner) and Test connection's steps, each with its French beside it (transports/words.ts).
import { FIELDS, FRENCH_LABELS, type SettingKey } from '../../settings/index.js';
import { catalogue, NB } from '../../i18n/index.js';

/** A setting's label quoted, in English and in French. */
const en = (k: SettingKey) => `"${FIELDS[k].label}"`;
const fr = (k: SettingKey) => `«${NB}${FRENCH_LABELS[k] ?? FIELDS[k].label}${NB}»`;

/** Hints appended to a failure: what to change. */
export const HINTS = catalogue({
  untrustedCertificate: {
    en: `the server's certificate is not trusted: for a private CA, paste its certificate in ${en('smtpCaCertificate')} (smtpCaCertificate) on Configuration > Email`,
    fr: `le certificat du serveur n’est pas reconnu${NB}: pour une AC privée, collez son certificat dans ${fr('smtpCaCertificate')} (smtpCaCertificate) sur Configuration > E-mail`,
  },
  wrongHostName: {
    en: 'the certificate does not name this host: use the host name it was issued for',
    fr: `le certificat ne nomme pas cet hôte${NB}: utilisez le nom d’hôte pour lequel il a été délivré`,
  },
  authAfterStartTls: {
    en: `many servers offer AUTH only after STARTTLS; check ${en('startTls')}`,
    fr: `beaucoup de serveurs ne proposent AUTH qu’après STARTTLS${NB}; cochez ${fr('startTls')}`,
  },
  exchange535: {
    en:
      'check that the app has the SMTP.SendAsApp application permission of Office 365 Exchange Online with admin consent, ' +
      'that it is registered in Exchange Online (New-ServicePrincipal with the Enterprise application object ID), ' +
      'that it has FullAccess on the mailbox (Add-MailboxPermission), and that SMTP AUTH is enabled for the mailbox',
    fr:
      'vérifiez que l’application a la permission d’application SMTP.SendAsApp d’Office 365 Exchange Online avec le consentement administrateur, ' +
      'qu’elle est enregistrée dans Exchange Online (New-ServicePrincipal avec l’ID d’objet de l’application d’entreprise), ' +
      'qu’elle a FullAccess sur la boîte (Add-MailboxPermission), et que SMTP AUTH est activé pour la boîte',
  },
  gmail535: {
    en:
      "check that domain-wide delegation grants the service account's client ID the scope https://mail.google.com/, " +
      'that the user is a mailbox of the Workspace domain (the SMTP user, else the postmaster), and that the tokens are for that user',
    fr:
      'vérifiez que la délégation au niveau du domaine accorde à l’ID client du compte de service le champ https://mail.google.com/, ' +
      'que l’utilisateur est une boîte du domaine Workspace (l’utilisateur SMTP, sinon le postmaster), et que les jetons sont pour cet utilisateur',
  },
  exchangeAuthDisabled: {
    en:
      'SMTP AUTH is turned off for the tenant or the mailbox, or security defaults block it: ' +
      'in Exchange Online PowerShell run Set-TransportConfig -SmtpClientAuthenticationDisabled $false (tenant) ' +
      'and Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false (mailbox); ' +
      'with security defaults on (Entra ID > Overview > Properties), passwords cannot sign in to SMTP: use the Graph route or SMTP with OAuth',
    fr:
      `SMTP AUTH est désactivé pour le locataire ou la boîte, ou les paramètres de sécurité par défaut le bloquent${NB}: ` +
      'dans Exchange Online PowerShell, exécutez Set-TransportConfig -SmtpClientAuthenticationDisabled $false (locataire) ' +
      `et Set-CASMailbox -Identity <boîte> -SmtpClientAuthenticationDisabled $false (boîte)${NB}; ` +
      `avec les paramètres de sécurité par défaut (Entra ID > Vue d’ensemble > Propriétés), un mot de passe ne peut pas se connecter à SMTP${NB}: utilisez le mode Graph ou SMTP avec OAuth`,
  },
  exchangeSendAs: {
    en:
      'the signed-in mailbox may not send as the From address: grant it Send As on that address ' +
      '(Add-RecipientPermission -Identity <from address> -Trustee <signed-in mailbox> -AccessRights SendAs), ' +
      `or check ${en('forcePostmaster')} so e-mails leave from the postmaster`,
    fr:
      `la boîte connectée ne peut pas envoyer au nom de l’adresse From${NB}: accordez-lui Send As sur cette adresse ` +
      '(Add-RecipientPermission -Identity <adresse From> -Trustee <boîte connectée> -AccessRights SendAs), ' +
      `ou cochez ${fr('forcePostmaster')} pour que les e-mails partent du postmaster`,
  },
});

/** Node's (OpenSSL's) reasons for refusing a certificate, as it words them, with their French. */
export const TLS_REASONS = catalogue({
  selfSigned: { en: 'self-signed certificate', fr: 'certificat auto-signé' },
  selfSignedInChain: { en: 'self-signed certificate in certificate chain', fr: 'certificat auto-signé dans la chaîne de certificats' },
  firstCertificate: { en: 'unable to verify the first certificate', fr: 'impossible de vérifier le premier certificat' },
  localIssuer: { en: 'unable to get local issuer certificate', fr: 'impossible d’obtenir le certificat de l’émetteur local' },
  issuer: { en: 'unable to get issuer certificate', fr: 'impossible d’obtenir le certificat de l’émetteur' },
  expired: { en: 'certificate has expired', fr: 'le certificat a expiré' },
  notYetValid: { en: 'certificate is not yet valid', fr: 'le certificat n’est pas encore valide' },
  revoked: { en: 'certificate revoked', fr: 'certificat révoqué' },
  altNames: { en: "Hostname/IP does not match certificate's altnames: {names}", fr: `le nom d’hôte ou l’adresse IP ne figure pas parmi les noms du certificat (altnames)${NB}: {names}` },
});

/** What happened on the network, said plainly. */
export const NETWORK = catalogue({
  notInDns: { en: 'the host name was not found in DNS', fr: 'le nom d’hôte est introuvable dans le DNS' },
  refused: { en: 'connection refused (nothing listens on that port, or a firewall refuses it)', fr: 'connexion refusée (rien n’écoute sur ce port, ou un pare-feu la refuse)' },
  noAnswer: { en: 'no answer to the connection attempt (a wrong host, or a firewall dropping it)', fr: 'aucune réponse à la tentative de connexion (un mauvais hôte, ou un pare-feu qui la bloque)' },
  noGreeting: { en: 'connected, but the server never sent its greeting', fr: 'connecté, mais le serveur n’a jamais envoyé son accueil' },
  noHandshake: { en: 'the TLS handshake never finished', fr: 'la négociation TLS ne s’est jamais terminée' },
  silent: { en: 'the server stopped answering', fr: 'le serveur a cessé de répondre' },
  reset: { en: 'the server (or something on the way) reset the connection', fr: 'le serveur (ou un équipement sur le chemin) a réinitialisé la connexion' },
  closed: { en: 'the server closed the connection', fr: 'le serveur a fermé la connexion' },
  replyTooLarge: {
    en: 'the server sent a reply of more than {size} characters; Postroom stopped reading',
    fr: `le serveur a envoyé une réponse de plus de {size}${NB}caractères${NB}; Postroom a cessé de la lire`,
  },
});

/** A route's or a message's failure: the text stored with the e-mail and shown in the banner. */
export const FAILURES = catalogue({
  cannotReach: { en: 'cannot reach {where}: {why}', fr: `impossible de joindre {where}${NB}: {why}` },
  tlsFailed: { en: 'TLS with {where} failed: {tls}', fr: `TLS avec {where} a échoué${NB}: {tls}` },
  tlsFailedHint: { en: 'TLS with {where} failed: {tls} ({hint})', fr: `TLS avec {where} a échoué${NB}: {tls} ({hint})` },
  startTlsNotOffered: {
    en: `STARTTLS not offered by {where}: nothing was sent in plain text (uncheck ${en('startTls')} only for a relay on a trusted network)`,
    fr: `{where} ne propose pas STARTTLS${NB}: rien n’a été envoyé en clair (décochez ${fr('startTls')} seulement pour un relais sur un réseau de confiance)`,
  },
  startTlsRefused: {
    en: 'STARTTLS refused by {where}: {reply}; nothing was sent in plain text',
    fr: `{where} a refusé STARTTLS${NB}: {reply}${NB}; rien n’a été envoyé en clair`,
  },
  refusedConnection: { en: '{where} refused the connection: {reply}', fr: `{where} a refusé la connexion${NB}: {reply}` },
  refusedEhlo: { en: '{where} refused EHLO and HELO: {reply}', fr: `{where} a refusé EHLO et HELO${NB}: {reply}` },
  notEncrypted: {
    en: `the connection to {where} is not encrypted, so Postroom did not send the password: check ${en('startTls')} (or use port 465), or allow a password over an unencrypted connection`,
    fr: `la connexion à {where} n’est pas chiffrée, donc Postroom n’a pas envoyé le mot de passe${NB}: cochez ${fr('startTls')} (ou utilisez le port 465), ou cochez ${fr('allowPlaintextAuth')}`,
  },
  noAuthOffered: {
    en: '{where} offers no AUTH on this connection, so nothing was sent (Postroom never sends without signing in as {user})',
    fr: `{where} ne propose pas AUTH sur cette connexion, donc rien n’a été envoyé (Postroom n’envoie jamais sans se connecter en tant que {user})`,
  },
  noAuthOfferedHint: {
    en: '{where} offers no AUTH on this connection, so nothing was sent (Postroom never sends without signing in as {user}): {hint}',
    fr: `{where} ne propose pas AUTH sur cette connexion, donc rien n’a été envoyé (Postroom n’envoie jamais sans se connecter en tant que {user})${NB}: {hint}`,
  },
  noXoauth2: {
    en: '{where} offers AUTH {offered} but not XOAUTH2: nothing was sent (is SMTP AUTH enabled for the mailbox?)',
    fr: `{where} propose AUTH {offered} mais pas XOAUTH2${NB}: rien n’a été envoyé (SMTP AUTH est-il activé pour la boîte${NB}?)`,
  },
  noPlainOrLogin: {
    en: '{where} offers AUTH {offered} but neither PLAIN nor LOGIN: nothing was sent',
    fr: `{where} propose AUTH {offered} mais ni PLAIN ni LOGIN${NB}: rien n’a été envoyé`,
  },
  authDeferred: { en: 'authentication as {user} with {where} deferred: {reply}', fr: `l’authentification en tant que {user} auprès de {where} est reportée${NB}: {reply}` },
  authFailed: { en: 'authentication as {user} with {where} failed: {reply}', fr: `l’authentification en tant que {user} auprès de {where} a échoué${NB}: {reply}` },
  authFailedAdvice: {
    en: 'authentication as {user} with {where} failed: {reply} ({advice})',
    fr: `l’authentification en tant que {user} auprès de {where} a échoué${NB}: {reply} ({advice})`,
  },
  oauthRefused: {
    en: 'authentication with {where} failed: {reply} (signed in as {user} with OAuth: {help})',
    fr: `l’authentification auprès de {where} a échoué${NB}: {reply} (connexion en tant que {user} avec OAuth${NB}: {help})`,
  },
  lostSigningIn: { en: '{why} ({where}) while signing in: nothing was sent', fr: `{why} ({where}) pendant la connexion${NB}: rien n’a été envoyé` },
  authRequired: { en: '{where} requires a signed-in or encrypted session{step?}: {reply}', fr: `{where} exige une session connectée ou chiffrée{step?}${NB}: {reply}` },
  atCommand: { en: ' at {command}', fr: ' à {command}' },
  postmasterRefused: {
    en: `{where} refuses the postmaster {sender} as sender{forUser?}: {reply} (check that this login may send as the postmaster, or change ${en('postmaster')})`,
    fr: `{where} refuse le postmaster {sender} comme expéditeur{forUser?}${NB}: {reply} (vérifiez que cet identifiant peut envoyer au nom du postmaster, ou changez ${fr('postmaster')})`,
  },
  forUser: { en: ' for {user}', fr: ' pour {user}' },
  relayDenied: {
    en: '{where} refuses to relay for this connection: {reply} (sign in with an SMTP user, or allow this host on the relay)',
    fr: `{where} refuse de relayer pour cette connexion${NB}: {reply} (connectez-vous avec un utilisateur SMTP, ou autorisez cet hôte sur le relais)`,
  },
  everyRecipientRefused: { en: 'every recipient was refused: {summary}', fr: `tous les destinataires ont été refusés${NB}: {summary}` },
  lostBeforeMessage: {
    en: '{why} ({where}{during?}) before the message was sent: nothing was delivered',
    fr: `{why} ({where}{during?}) avant l’envoi du message${NB}: rien n’a été remis`,
  },
  during: { en: ' during {command}', fr: ' pendant {command}' },
  lostDuringMessage: {
    en: '{why} ({where}) while the message was being sent: it was not delivered',
    fr: `{why} ({where}) pendant l’envoi du message${NB}: il n’a pas été remis`,
  },
  noReplyAfterMessage: {
    en: 'no reply from {where} after the message was sent ({seconds} s): it may or may not have been delivered',
    fr: `aucune réponse de {where} après l’envoi du message ({seconds}${NB}s)${NB}: il a pu être remis ou non`,
  },
  lostAfterMessage: {
    en: '{why} ({where}) after the message was sent, before the server answered: it may or may not have been delivered',
    fr: `{why} ({where}) après l’envoi du message, avant la réponse du serveur${NB}: il a pu être remis ou non`,
  },
  tooLarge: { en: "{where}: {reason} (the server's SIZE limit)", fr: `{where}${NB}: {reason} (la limite SIZE du serveur)` },
  serverSaid: { en: '{where} answered {command}: {reply}', fr: `{where} a répondu à {command}${NB}: {reply}` },
  serverSaidAdvice: { en: '{where} answered {command}: {reply} ({advice})', fr: `{where} a répondu à {command}${NB}: {reply} ({advice})` },
  unexpected: { en: '{where}: {reason}', fr: `{where}${NB}: {reason}` },
  routeClosed: { en: 'the route was closed', fr: 'le mode d’envoi a été fermé' },
});

/** Test connection's steps that passed, and its one step that is not a route failure. */
export const STEPS = catalogue({
  connected: { en: 'connected to {where}', fr: 'connecté à {where}' },
  connectedTls: { en: 'connected to {where} with {protocol}', fr: 'connecté à {where} en {protocol}' },
  encrypted: { en: 'connection encrypted with {protocol}, certificate verified', fr: 'connexion chiffrée en {protocol}, certificat vérifié' },
  plainText: {
    en: `STARTTLS not used (${en('startTls')} is unchecked): the connection is in plain text`,
    fr: `STARTTLS non utilisé (${fr('startTls')} est décochée)${NB}: la connexion est en clair`,
  },
  signedIn: { en: 'signed in as {user}', fr: 'connecté en tant que {user}' },
  signedInOAuth: { en: 'signed in as {user} with an OAuth token', fr: 'connecté en tant que {user} avec un jeton OAuth' },
  noUser: { en: 'no SMTP user: the server is used without authentication', fr: `pas d’utilisateur SMTP${NB}: le serveur est utilisé sans authentification` },
  maySend: { en: '{sender} may send', fr: '{sender} peut envoyer' },
  recipientAccepted: { en: '{recipient} accepted (nothing was sent)', fr: '{recipient} accepté (rien n’a été envoyé)' },
  recipientRefused: { en: 'the server refuses {recipient} as recipient', fr: 'le serveur refuse {recipient} comme destinataire' },
  notReached: { en: 'not tried: an earlier step failed', fr: `pas essayé${NB}: une étape précédente a échoué` },
});
