// PEM certificate settings (a private CA for the SMTP relay, or for a TLS-inspecting proxy in front
// of Microsoft): the field rule that refuses a bad PEM, and what the screen shows of a good one.
import crypto from 'node:crypto';
import { normalizePem } from './certificate.js';
import { outsidePemBlocks, pemBlocks } from './pem.js';

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** ISO date-time after which the certificate is no longer valid. */
  expiresAt: string;
  isCA: boolean;
}

/** "CN=Company Root CA, O=Company" from node's one-per-line form. */
const oneLine = (dn: string) => dn.split('\n').filter(Boolean).reverse().join(', ');

/** The certificates of a PEM bundle, or why it is refused (one sentence, for the field). */
export function readPemBundle(text: string): { certificates: CertificateInfo[]; pems: string[] } | { error: string } {
  const pems: string[] = [];
  const certificates: CertificateInfo[] = [];
  const blocks = pemBlocks(text);
  if (blocks.length === 0) return { error: 'is not a PEM certificate (it should start with -----BEGIN CERTIFICATE-----)' };
  const outside = outsidePemBlocks(text, blocks).trim();
  if (outside) return { error: 'holds text outside the -----BEGIN/END CERTIFICATE----- lines' };
  for (const [i, block] of blocks.entries()) {
    const type = block.label;
    const which = blocks.length > 1 ? `block ${i + 1} ` : '';
    if (/PRIVATE KEY/.test(type)) return { error: `${which}is a private key: paste only the CA's certificate, never a key` };
    if (type !== 'CERTIFICATE') return { error: `${which}is a ${type}, not a CERTIFICATE` };
    let cert: crypto.X509Certificate;
    try {
      cert = new crypto.X509Certificate(block.text);
    } catch {
      return { error: `${which}cannot be read as a certificate (damaged or incomplete base64)` };
    }
    pems.push(block.text);
    certificates.push({ subject: oneLine(cert.subject), issuer: oneLine(cert.issuer), expiresAt: new Date(cert.validTo).toISOString(), isCA: cert.ca });
  }
  return { certificates, pems };
}

/**
 * The stored form: each block with its line breaks rebuilt (certificate.ts's reading, shared with
 * the client certificate: a pasted PEM may have lost them), one block after another.
 */
export function tidyPem(text: string): string {
  return normalizePem(text.replace(/\r\n/g, '\n').trim()).replace(/\n{2,}/g, '\n').trim();
}

/** The field rule: empty, or a PEM bundle of certificates only. */
export function pemProblem(text: string): string | null {
  if (text.trim() === '') return null;
  const read = readPemBundle(text);
  return 'error' in read ? read.error : null;
}

export function describePem(text: string): CertificateInfo[] {
  if (text.trim() === '') return [];
  const read = readPemBundle(text);
  return 'error' in read ? [] : read.certificates;
}

/** The warnings for certificates that expire within 30 days or have expired (English; messages.ts words them in French). */
export function expiryWarnings(certificates: CertificateInfo[], now = Date.now()): string[] {
  const out: string[] = [];
  for (const c of certificates) {
    const days = Math.floor((Date.parse(c.expiresAt) - now) / 86_400_000);
    if (days > 30) continue;
    const when = c.expiresAt.slice(0, 10);
    out.push(days < 0 ? `the certificate ${c.subject} expired on ${when}: connections that rely on it fail` : `the certificate ${c.subject} expires on ${when} (in ${days} day${days === 1 ? '' : 's'})`);
  }
  return out;
}
