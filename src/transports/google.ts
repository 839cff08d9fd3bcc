// Access tokens for a Google Workspace service account with domain-wide delegation: a JWT signed
// with the account's key (RS256) exchanged at Google's token endpoint (RFC 7523) for a Gmail token.
//
// Not google-auth-library: it fixes the token URL and sends through fetch, which takes neither our
// CA options nor a stand-in's address; the grant is one signed JWT and one form POST (Google's
// "Using OAuth 2.0 for Server to Server Applications", "HTTP/REST" section).
import crypto from 'node:crypto';
import { readGoogleServiceAccountKey, type GoogleServiceAccountKey } from '../settings/index.js';
import { httpsRequest, parseJson } from './https.js';
import { DeliveryError } from './route.js';
import { UNTRUSTED } from './trust.js';

/** Google's token endpoint; POSTROOM_GOOGLE_TOKEN_URL points it at a stand-in for tests. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** The one scope Gmail's SMTP and IMAP take for XOAUTH2 ("OAuth 2.0 Scopes for Google APIs", Gmail API). */
export const GMAIL_SCOPE = 'https://mail.google.com/';
/** Gmail's submission host, used when SMTP host is empty. */
export const GMAIL_SMTP_HOST = 'smtp.gmail.com';
export const GMAIL_IMAP_HOST = 'imap.gmail.com';

/** An assertion may live at most an hour (Google's limit on exp - iat). */
const ASSERTION_SECONDS = 3600;

export const googleTokenUrl = (env: NodeJS.ProcessEnv = process.env): string => env.POSTROOM_GOOGLE_TOKEN_URL || GOOGLE_TOKEN_URL;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** The JWT bearer assertion: header {alg, typ, kid}, claims {iss, sub, scope, aud, iat, exp}. */
export function signAssertion(key: GoogleServiceAccountKey, subject: string, scope: string, audience: string, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ alg: 'RS256', typ: 'JWT', kid: key.keyId })}.${part({ iss: key.clientEmail, sub: subject, scope, aud: audience, iat, exp: iat + ASSERTION_SECONDS })}`;
  const signature = crypto.sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url');
  return `${input}.${signature}`;
}

/** Gmail tokens for one service account acting as one user: cached per scope, one request at a time. */
export class GoogleTokenProvider {
  private readonly key: GoogleServiceAccountKey;
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  /** Token requests made (for tests). */
  requests = 0;

  constructor(
    keyJson: string,
    private readonly subject: string,
    private readonly tokenUrl = googleTokenUrl(),
    private readonly ca?: string | string[],
  ) {
    this.key = readGoogleServiceAccountKey(keyJson);
  }

  get clientId(): string {
    return this.key.clientId;
  }

  async getToken(scope: string, options: { forceRefresh?: boolean } = {}): Promise<string> {
    const cached = this.cache.get(scope);
    // Renewed five minutes before it ends: a send that starts with it must not meet its end.
    if (!options.forceRefresh && cached && Date.now() < cached.expiresAt - 300_000) return cached.token;
    let pending = this.inFlight.get(scope);
    if (!pending) {
      pending = this.fetch(scope).finally(() => this.inFlight.delete(scope));
      this.inFlight.set(scope, pending);
    }
    return (await pending).token;
  }

  /** Forget a token the server refused (a 535 from Gmail). */
  invalidate(scope: string): void {
    this.cache.delete(scope);
  }

  private async fetch(scope: string): Promise<CachedToken> {
    this.requests++;
    // The audience is Google's token URL whatever address the request goes to ("aud: always https://oauth2.googleapis.com/token").
    const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signAssertion(this.key, this.subject, scope, GOOGLE_TOKEN_URL) }).toString();
    let answer;
    try {
      answer = await httpsRequest(this.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        body,
        ca: this.ca,
        timeoutMs: 30_000,
        maxBodyBytes: 64 * 1024,
      });
    } catch (err) {
      const text = (err as Error).message;
      throw new DeliveryError(`cannot get a token from Google: ${text}${UNTRUSTED.test(text) ? ' (the certificate of the token endpoint is not trusted)' : ''}`, 'transient', 'route');
    }
    const json = (parseJson(answer.body) ?? {}) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    if (answer.status === 200 && typeof json.access_token === 'string' && json.access_token) {
      const seconds = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
      const token = { token: json.access_token, expiresAt: Date.now() + seconds * 1000 };
      this.cache.set(scope, token);
      return token;
    }
    throw googleTokenError(answer.status, String(json.error ?? ''), String(json.error_description ?? ''), this.key, this.subject, scope);
  }
}

/**
 * Google's refusals in plain words, with what to do. The codes and descriptions are those of
 * "Using OAuth 2.0 for Server to Server Applications" (Error codes) and RFC 6749 §5.2.
 */
export function googleTokenError(status: number, code: string, description: string, key: Pick<GoogleServiceAccountKey, 'clientId' | 'clientEmail'>, subject: string, scope: string): DeliveryError {
  const google = `Google: ${code || status}${description ? ` "${description.slice(0, 300)}"` : ''}`;
  if (status === 429 || status >= 500 || code === 'rate_limit_exceeded' || code === 'backendError' || code === 'internal_failure') {
    return new DeliveryError(`Google's token endpoint is unavailable for now (${google}); tried again at the next campaign`, 'transient', 'route');
  }
  if (code === 'invalid_client' || code === 'disabled_client') {
    return new DeliveryError(
      `Google does not know or has disabled the service account ${key.clientEmail} or this key of it: check it in the Google Cloud console (IAM & Admin > Service accounts), or create a new JSON key and save it in "Google service account key" (${google})`,
      'permanent',
      'route',
    );
  }
  if (code === 'unauthorized_client' || code === 'access_denied') {
    return new DeliveryError(
      `the service account is not allowed to act for users of the domain with the scope ${scope}: in the Google Admin console, Security > Access and data control > API controls > Manage domain-wide delegation, add client ID ${key.clientId} with the scope ${scope} (${google})`,
      'permanent',
      'route',
    );
  }
  if (code === 'invalid_grant') {
    if (/signature|key/i.test(description)) {
      return new DeliveryError(`Google refuses the key of ${key.clientEmail}: it was deleted or disabled; create a new JSON key and save it in "Google service account key" (${google})`, 'permanent', 'route');
    }
    if (/iat|exp|timeframe|clock|short-lived/i.test(description)) {
      return new DeliveryError(`Google refuses the token request's time: this server's clock is off; set it by NTP (${google})`, 'permanent', 'route');
    }
    if (/email|user|subject|sub\b/i.test(description)) {
      return new DeliveryError(`${subject} is not a user Google lets the service account act as: it must be a mailbox of the Workspace domain (the SMTP user, else the postmaster) (${google})`, 'permanent', 'route');
    }
    return new DeliveryError(`Google refuses the token request (${google}): check the service account key, domain-wide delegation and that ${subject} is a user of the domain`, 'permanent', 'route');
  }
  return new DeliveryError(`Google refuses the token request (${google})`, status >= 400 && status < 500 ? 'permanent' : 'transient', 'route');
}

const providers = new Map<string, GoogleTokenProvider>();

/** One provider per key, user and endpoint, shared by the route, the connection test and bounce processing. */
export function googleTokenProviderFor(keyJson: string, subject: string, ca?: string | string[], tokenUrl = googleTokenUrl()): GoogleTokenProvider {
  const id = crypto.createHash('sha256').update(JSON.stringify([keyJson, subject, tokenUrl, ca ?? null])).digest('hex');
  let p = providers.get(id);
  if (!p) {
    p = new GoogleTokenProvider(keyJson, subject, tokenUrl, ca);
    providers.set(id, p);
  }
  return p;
}
