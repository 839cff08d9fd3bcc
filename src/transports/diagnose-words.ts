// Test connection's steps in the console's language. Each detail is one of the sentences
// smtp-diagnose.ts writes, with hosts, addresses and a server's reply kept as they are; the reply
// itself travels in its own field and is never translated.

/** One sentence of smtp-diagnose.ts and its French wording. */
interface Wording {
  english: RegExp;
  french: (m: RegExpExecArray) => string;
}

const g = (m: RegExpExecArray, i: number) => m[i] ?? '';
const NB = '\u00a0';

const WORDINGS: Wording[] = [
  { english: /^cannot connect to (\S+): (.+)$/, french: (m) => `impossible de se connecter à ${g(m, 1)}${NB}: ${g(m, 2)}` },
  { english: /^(\S+) refused the connection$/, french: (m) => `${g(m, 1)} a refusé la connexion` },
  { english: /^connected to (\S+) with (\S+)$/, french: (m) => `connecté à ${g(m, 1)} en ${g(m, 2)}` },
  { english: /^connected to (\S+)$/, french: (m) => `connecté à ${g(m, 1)}` },
  { english: /^(\S+) refused EHLO$/, french: (m) => `${g(m, 1)} a refusé EHLO` },
  {
    english: /^STARTTLS not offered by (\S+): nothing will be sent \(uncheck "Using the STARTTLS command" only for a relay on a trusted network\)$/,
    french: (m) => `${g(m, 1)} ne propose pas STARTTLS${NB}: rien ne sera envoyé (décochez «${NB}Utiliser la commande STARTTLS${NB}» seulement pour un relais sur un réseau de confiance)`,
  },
  { english: /^(\S+) refused STARTTLS$/, french: (m) => `${g(m, 1)} a refusé STARTTLS` },
  { english: /^TLS with (\S+) failed: (.+)$/, french: (m) => `TLS avec ${g(m, 1)} a échoué${NB}: ${g(m, 2)}` },
  { english: /^connection encrypted with (\S+), certificate verified$/, french: (m) => `connexion chiffrée en ${g(m, 1)}, certificat vérifié` },
  {
    english: /^STARTTLS not used \("Using the STARTTLS command" is unchecked\): the connection is in plain text$/,
    french: () => `STARTTLS non utilisé («${NB}Utiliser la commande STARTTLS${NB}» est décochée)${NB}: la connexion est en clair`,
  },
  { english: /^(\S+) offers no AUTH on this connection(.*)$/, french: (m) => `${g(m, 1)} ne propose pas AUTH sur cette connexion${g(m, 2) ? `${NB}: beaucoup de serveurs ne proposent AUTH qu’après STARTTLS${NB}; cochez «${NB}Utiliser la commande STARTTLS${NB}»` : ''}` },
  { english: /^(\S+) does not offer AUTH XOAUTH2 \(is SMTP AUTH enabled for the mailbox\?\)$/, french: (m) => `${g(m, 1)} ne propose pas AUTH XOAUTH2 (SMTP AUTH est-il activé pour la boîte${NB}?)` },
  { english: /^XOAUTH2 sign-in as (\S+) failed: (.+)$/s, french: (m) => `la connexion XOAUTH2 en tant que ${g(m, 1)} a échoué${NB}: ${g(m, 2)}` },
  { english: /^XOAUTH2 sign-in as (\S+) failed$/, french: (m) => `la connexion XOAUTH2 en tant que ${g(m, 1)} a échoué` },
  { english: /^signed in as (\S+) with an OAuth token$/, french: (m) => `connecté en tant que ${g(m, 1)} avec un jeton OAuth` },
  { english: /^(\S+) offers no AUTH PLAIN or LOGIN on this connection$/, french: (m) => `${g(m, 1)} ne propose ni AUTH PLAIN ni LOGIN sur cette connexion` },
  { english: /^authentication as (\S+) failed \((.+)\)$/s, french: (m) => `l’authentification en tant que ${g(m, 1)} a échoué (${g(m, 2)})` },
  { english: /^authentication as (\S+) failed$/, french: (m) => `l’authentification en tant que ${g(m, 1)} a échoué` },
  { english: /^signed in as (\S+)$/, french: (m) => `connecté en tant que ${g(m, 1)}` },
  { english: /^no SMTP user: the server is used without authentication$/, french: () => `pas d’utilisateur SMTP${NB}: le serveur est utilisé sans authentification` },
  { english: /^the server refuses (\S+) as sender \(it said so at RCPT TO\)$/, french: (m) => `le serveur refuse ${g(m, 1)} comme expéditeur (il l’a dit au RCPT TO)` },
  { english: /^the server refuses (\S+) as sender$/, french: (m) => `le serveur refuse ${g(m, 1)} comme expéditeur` },
  { english: /^(\S+) may send$/, french: (m) => `${g(m, 1)} peut envoyer` },
  { english: /^(\S+) accepted \(nothing was sent\)$/, french: (m) => `${g(m, 1)} accepté (rien n’a été envoyé)` },
  { english: /^the server refuses (\S+) as recipient$/, french: (m) => `le serveur refuse ${g(m, 1)} comme destinataire` },
  {
    english: /^the connection is not encrypted, so Postroom did not send the password: check "Using the STARTTLS command" \(or use port 465\), or allow a password over an unencrypted connection$/,
    french: () => `la connexion n’est pas chiffrée, donc Postroom n’a pas envoyé le mot de passe${NB}: cochez «${NB}Utiliser la commande STARTTLS${NB}» (ou utilisez le port 465), ou autorisez un mot de passe sur une connexion non chiffrée`,
  },
  { english: /^the connection to (\S+) is not encrypted, so Postroom did not send the password(.*)$/, french: (m) => `la connexion à ${g(m, 1)} n’est pas chiffrée, donc Postroom n’a pas envoyé le mot de passe${g(m, 2)}` },
  { english: /^token issued by Google for (\S+) \(service account client ID (\d+), scope (\S+)\)$/, french: (m) => `jeton délivré par Google pour ${g(m, 1)} (ID client du compte de service ${g(m, 2)}, champ ${g(m, 3)})` },
  { english: /^token issued by tenant (\S+) for (\S+) with the client (secret|certificate)$/, french: (m) => `jeton délivré par le locataire ${g(m, 1)} pour ${g(m, 2)} avec ${g(m, 3) === 'secret' ? 'le secret client' : 'le certificat client'}` },
  { english: /^save the service account key \(JSON\) first$/, french: () => `enregistrez d’abord la clé du compte de service (JSON)` },
  { english: /^SMTP host is empty$/, french: () => `l’hôte SMTP est vide` },
  { english: /^set the Mail postmaster first: it is the sender the test checks$/, french: () => `renseignez d’abord le Mail postmaster${NB}: c’est l’expéditeur que le test vérifie` },
];

/** A step's detail in the language asked; a sentence without a French wording stays in English. */
export function stepDetailIn(detail: string, lang: 'en' | 'fr'): string {
  if (lang === 'en') return detail;
  for (const w of WORDINGS) {
    const m = w.english.exec(detail);
    if (m) return w.french(m);
  }
  return detail;
}
