// The client certificate credential: one PEM text holding the certificate uploaded to the app
// registration and its private key. Read here for the checks, the expiry and MSAL's thumbprint.
import crypto from 'node:crypto';
import { pemBlocks } from './pem.js';

export interface ClientCertificate {
  /** The PEM certificate (and any chain after it), what MSAL sends as x5c. */
  certificatePem: string;
  privateKeyPem: string;
  /** SHA-256 of the DER certificate, hex: MSAL's thumbprintSha256 (x5t#S256). */
  thumbprintSha256: string;
  /** SHA-1 thumbprint, hex, as Entra ID shows it under Certificates & secrets. */
  thumbprintSha1: string;
  /** The certificate's notAfter, ms since the epoch. */
  expiresAt: number;
}

const KEY_LABEL = /^(?:RSA |EC |ENCRYPTED )?PRIVATE KEY$/;

/**
 * Each PEM block rebuilt with its lines: a password field (the console's) drops the line breaks
 * of what is pasted into it, and OpenSSL reads no PEM without them.
 */
export function normalizePem(text: string): string {
  let out = '';
  let at = 0;
  for (const block of pemBlocks(text)) {
    const b64 = block.body.replace(/\s+/g, '');
    out += `${text.slice(at, block.start)}-----BEGIN ${block.label}-----\n${b64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${block.label}-----\n`;
    at = block.end;
  }
  return out + text.slice(at);
}

/** Reads the PEM text; throws an Error whose message says what is wrong (never the key itself). */
export function readClientCertificate(text: string): ClientCertificate {
  const pem = normalizePem(text);
  const blocks = pemBlocks(pem);
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE' && b.body.trim() !== '').map((b) => b.text);
  const keyPem = blocks.find((b) => KEY_LABEL.test(b.label) && b.body.trim() !== '')?.text;
  if (certs.length === 0) throw new Error('holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  if (!keyPem) throw new Error('holds no PEM private key (-----BEGIN PRIVATE KEY-----) after the certificate');
  if (/ENCRYPTED/.test(keyPem)) throw new Error('holds an encrypted private key: export it without a passphrase (openssl pkey -in key.pem -out plain.pem)');
  let x509: crypto.X509Certificate;
  let key: crypto.KeyObject;
  try {
    x509 = new crypto.X509Certificate(certs[0] as string);
  } catch {
    throw new Error('holds a certificate that cannot be read');
  }
  try {
    key = crypto.createPrivateKey(keyPem);
  } catch {
    throw new Error('holds a private key that cannot be read');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error('holds a non-RSA key: Microsoft Entra ID client certificates use RSA keys');
  if (!x509.checkPrivateKey(key)) throw new Error('holds a private key that does not belong to the certificate');
  return {
    certificatePem: certs.join('\n'),
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    thumbprintSha256: crypto.createHash('sha256').update(x509.raw).digest('hex'),
    thumbprintSha1: crypto.createHash('sha1').update(x509.raw).digest('hex'),
    expiresAt: Date.parse(x509.validTo),
  };
}

/** Why the text is not a usable client certificate, or null. */
export function certificateProblem(pem: string): string | null {
  try {
    const c = readClientCertificate(pem);
    if (c.expiresAt < Date.now()) return `holds a certificate that expired on ${new Date(c.expiresAt).toISOString().slice(0, 10)}`;
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
