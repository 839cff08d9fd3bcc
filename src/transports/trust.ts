// Which certificate authorities a route trusts: the system's (Node's bundle and NODE_EXTRA_CA_CERTS),
// an embedder's extra CAs, and the CA certificate set on Configuration > Email for that route.
import fs from 'node:fs';
import tls from 'node:tls';
import type { EmailSettings } from '../settings/index.js';

type CaOption = string | string[] | undefined;

let envExtra: string[] | undefined;

/** NODE_EXTRA_CA_CERTS, read once: a `ca` option replaces Node's defaults, so it must be named again. */
function extraFromEnvironment(): string[] {
  if (envExtra) return envExtra;
  const file = process.env.NODE_EXTRA_CA_CERTS;
  envExtra = [];
  if (file) {
    try {
      envExtra = [fs.readFileSync(file, 'utf8')];
    } catch {
      // Node itself warned about an unreadable file at start-up.
    }
  }
  return envExtra;
}

/**
 * The `ca` option for a TLS connection: unchanged (the embedder's, or Node's defaults) without a
 * configured CA; with one, the system's CAs plus the embedder's plus the configured one.
 */
export function withConfiguredCa(configured: string, embedder: CaOption): CaOption {
  if (!configured.trim()) return embedder;
  const extra = embedder === undefined ? [] : Array.isArray(embedder) ? embedder : [embedder];
  return [...tls.rootCertificates, ...extraFromEnvironment(), ...extra, configured];
}

export const smtpTrust = (s: Pick<EmailSettings, 'smtpCaCertificate'>, embedder?: CaOption): CaOption => withConfiguredCa(s.smtpCaCertificate, embedder);
export const microsoftTrust = (s: Pick<EmailSettings, 'microsoftCaCertificate'>, embedder?: CaOption): CaOption =>
  withConfiguredCa(s.microsoftCaCertificate, embedder);

/** Appended to a Microsoft "certificate not trusted" failure: the setting that fixes it (SMTP's is in smtp/words.ts). */
export const UNTRUSTED_MICROSOFT_HINT = `the certificate is not trusted: behind a TLS-inspecting proxy, paste the proxy's CA certificate in "CA certificate of a proxy in front of Microsoft" (microsoftCaCertificate)`;
export const UNTRUSTED = /self[- ]signed|unable to verify|unable to get local issuer|unable to get issuer/i;
