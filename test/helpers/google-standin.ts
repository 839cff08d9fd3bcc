// A local HTTPS stand-in for Google's OAuth 2.0 token endpoint as service accounts use it
// (server-to-server, "two-legged OAuth", with Google Workspace domain-wide delegation), written
// from Google's documentation, for tests of the Gmail route: SMTP (smtp.gmail.com) with XOAUTH2
// and an access token got with a service account's key. The tests hand acceptsForMail to an
// SMTP or IMAP server they run, which plays Gmail checking the token.
//
// What it follows, each with its page:
// - "Using OAuth 2.0 for Server to Server Applications" (developers.google.com/identity/protocols/
//   oauth2/service-account; read through stored copies: developers.google.cn/…/service-account,
//   gist fsans/6c88cb755837c22b265f31d9aa8fdc23, a pt-BR capture of the page with its error
//   table, the Postman collection page developers.qodex.ai/…/google-get-token):
//   * the request: POST to the token endpoint, form-encoded, grant_type =
//     urn:ietf:params:oauth:grant-type:jwt-bearer and assertion = the signed JWT;
//   * the JWT: header alg RS256 (typ JWT), claims iss = the service account's email, scope =
//     space-delimited scopes, aud = https://oauth2.googleapis.com/token ("always" that value for
//     an access token request), iat and exp in seconds, exp "a maximum of 1 hour after the issued
//     time", and sub = the user to impersonate for domain-wide delegation;
//   * kid: the addendum ("Service account authorization without OAuth") puts the key's
//     private_key_id in the header's kid; the token request's header does not need it, and
//     google-auth-library's gtoken signs with alg alone (googleapis/node-gtoken src/index.ts), so
//     kid is optional here: present, it picks the key; absent, every key of the account is tried;
//   * domain-wide delegation: a super administrator adds the service account's numeric client ID
//     and a comma-delimited list of scopes in the Admin console (grantDelegation);
//   * "JWT error codes", the table this stand-in answers from:
//       invalid_grant "Invalid JWT Signature." — signed with a key not associated with the service
//         account named by the client email, or with a key deleted, disabled or expired, or the
//         JWT encoded incorrectly (Base64 with newlines or "=" padding);
//       invalid_grant "Invalid JWT: Token must be a short-lived token (60 minutes) and in a
//         reasonable timeframe. Check your 'iat' and 'exp' values and use a clock with skew to
//         account for clock differences between systems." — a wrong local clock, exp more than
//         65 minutes after iat, or exp before iat;
//       invalid_grant "Not a valid email" / "Invalid email or User ID" — the sub user does not exist;
//       unauthorized_client "Client is unauthorized to retrieve access tokens using this method,
//         or client not authorized for any of the scopes requested." — the client was authorized
//         by its email rather than its numeric ID (or not for any of the scopes);
//       access_denied — one or more requested scopes are not authorized in the Admin console;
//       invalid_scope "Invalid OAuth scope or ID token audience provided." — no scope requested,
//         or a scope that does not exist (comma-separated, say);
//       disabled_client "The OAuth client was disabled." — the signing key is disabled;
//       invalid_client — the OAuth client (the iss) is wrong.
// - Field reports of the same answers, for the exact bodies and statuses: "Invalid JWT: Token must
//   be a short-lived token (60 minutes)…" (googleapis/google-api-php-client#1429); "Invalid JWT
//   Signature." after the key was deleted in the console (crossplane-contrib/provider-jet-gcp#56);
//   "Invalid JWT: Failed audience check." (google/oauth2l#130); "Invalid email or User ID" for a
//   sub that is not a user (SCRT-HQ/PSGSuite#267); "Not a valid email." (googleapis/
//   google-api-php-client#783); HTTP 401 with the unauthorized_client body above (gist
//   samcolson4/9914b2a45a1f9f9c2978c864de05cc6a); a mistyped client email answered invalid_client
//   "The OAuth client was not found." (googleworkspace/apps-script-oauth2#68); "access_denied:
//   Requested client not authorized" and "internal_failure: Backend Error" (GAM's list of token
//   errors, GAM-team/GAM); a 429 from oauth2.googleapis.com/token with an HTML page, not JSON
//   (googleads/googleads-php-lib#688); the endpoint's no-cache headers (anthropics/blobfile#2).
// - The success body: {access_token, expires_in, token_type: "Bearer"} (the Postman page and
//   google-auth-library's CredentialRequest reference: token_type "always has the value Bearer").
//   expires_in is 3599 here, a second under the hour, as Google's endpoint answers in practice
//   (the pages' examples show 3600; not documented either way).
// - The JSON key file ("AIP-4112 Service Account Keys", google.aip.dev/auth/4112; the ADK's
//   ServiceAccountCredential reference for universe_domain): type "service_account", project_id,
//   private_key_id, private_key (a PKCS#8 PEM), client_email (name@project.iam.gserviceaccount.com),
//   client_id (numeric), auth_uri, token_uri, auth_provider_x509_cert_url, client_x509_cert_url,
//   universe_domain "googleapis.com". token_uri stays Google's, as in a real key file: the stand-in's
//   address is tokenUrl, which the tests give Postroom (POSTROOM_GOOGLE_TOKEN_URL).
// - Gmail's XOAUTH2 ("The XOAUTH2 mechanism", developers.google.com/gmail/xoauth2_protocol): "The
//   scope for IMAP, POP, and SMTP access is https://mail.google.com/"; with domain-wide delegation,
//   IMAP may use https://www.googleapis.com/auth/gmail.imap_admin instead (acceptsForMail).
// - google-auth-library (10.6.2, build/src/gtoken/getToken.js and jwsSign.js on unpkg): its JWT
//   client posts to a constant https://oauth2.googleapis.com/token and signs that as aud; it has
//   no option for another token URL. So the stand-in takes aud = Google's URL (what a library-made
//   assertion carries) as well as its own tokenUrl (audiences).
//
// Not documented, chosen here: how far in the future iat may be against Google's clock (5 minutes,
// CLOCK_SKEW_SECONDS); the bodies of the request-shape errors (invalid_request "Missing required
// parameter: …", unsupported_grant_type "Invalid grant_type: …"); the status of access_denied
// and disabled_client (400 and 401); the order of the checks.
import crypto from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeHttpsServer, listenHttps } from './https-server.js';

/** Google's token endpoint: what a key file's token_uri says, and the aud Google expects. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Gmail's scope for IMAP, POP and SMTP. */
export const GMAIL_SCOPE = 'https://mail.google.com/';
/** Gmail's IMAP scope for domain-wide delegation (IMAP only). */
export const GMAIL_IMAP_ADMIN_SCOPE = 'https://www.googleapis.com/auth/gmail.imap_admin';
/** exp may be at most this long after iat ("more than 65 minutes in the future from the iat value"). */
export const MAX_ASSERTION_SECONDS = 65 * 60;
/** How far ahead of the stand-in's clock iat may be (not documented by Google). */
export const CLOCK_SKEW_SECONDS = 5 * 60;
/** The lifetime Google gives a service account's access token. */
export const ACCESS_TOKEN_SECONDS = 3599;

/** The documented error descriptions, word for word. */
export const GOOGLE_ERRORS = {
  badSignature: 'Invalid JWT Signature.',
  badTime:
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your 'iat' and 'exp' values and use a clock with skew to account for clock differences between systems.",
  badAudience: 'Invalid JWT: Failed audience check.',
  notAnEmail: 'Not a valid email.',
  unknownUser: 'Invalid email or User ID',
  unauthorizedClient: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
  scopeNotAuthorized: 'Requested client not authorized.',
  badScope: 'Invalid OAuth scope or ID token audience provided.',
  disabledKey: 'The OAuth client was disabled.',
  unknownClient: 'The OAuth client was not found.',
} as const;

export interface GoogleServiceAccount {
  /** The key file as Google's console downloads it (JSON text). */
  keyJson: string;
  clientEmail: string;
  /** The numeric client ID (the "Unique ID"), what domain-wide delegation is granted to. */
  clientId: string;
  /** The key's private_key_id (40 hex digits). */
  keyId: string;
  /** The key's private_key: a PKCS#8 PEM. */
  privateKeyPem: string;
}

export interface GoogleTokenRequest {
  /** Date.now() when it came. */
  at: number;
  status: number;
  /** The error code answered, null when a token was issued. */
  error: string | null;
  /** The JWT's claims, when it could be read. */
  sub: string | null;
  scope: string | null;
  iss: string | null;
}

export interface GoogleStandIn {
  /** https://127.0.0.1:PORT */
  url: string;
  /** url + '/token': what POSTROOM_GOOGLE_TOKEN_URL is set to. */
  tokenUrl: string;
  /** The Workspace domain, e.g. 'corp.example'. */
  domain: string;
  /** Mailboxes of the domain (sub must be one of them). */
  users: Set<string>;
  /** The stand-in's clock minus the real one (simulates skew; moving it forward also ages tokens). */
  clockOffsetMs: number;
  /** The aud values taken (default: Google's token URL and tokenUrl). */
  audiences: Set<string>;
  requests: GoogleTokenRequest[];
  /** Requests for other paths or methods (should stay empty). */
  unknownRequests: string[];
  readonly tokensIssued: number;
  /** Makes a service account with a fresh RSA 2048 key (registered), returns its JSON key file text. */
  createServiceAccount(name?: string): GoogleServiceAccount;
  /** Adds another key to the account (key rotation); the old one keeps working until deleted. */
  addKey(clientEmail: string): GoogleServiceAccount;
  deleteKey(keyId: string): void;
  /** Disables a key in the console (it stays, but signs nothing: disabled_client); enableKey undoes it. */
  disableKey(keyId: string): void;
  enableKey(keyId: string): void;
  /** Domain-wide delegation in the Admin console: this client ID may get tokens for these scopes (replaces the entry). */
  grantDelegation(clientId: string, scopes: string[]): void;
  revokeDelegation(clientId: string): void;
  /**
   * What Gmail's SMTP/IMAP would check of an XOAUTH2 token: issued here, unexpired, not revoked, for
   * this user (the sub it was issued for, still a user of the domain), with https://mail.google.com/
   * in its scopes (IMAP also takes gmail.imap_admin).
   */
  acceptsForMail(user: string, accessToken: string, protocol?: 'smtp' | 'imap'): boolean;
  /** Why acceptsForMail would say no, or null when it would say yes. */
  mailRefusal(user: string, accessToken: string, protocol?: 'smtp' | 'imap'): string | null;
  /** Every token issued so far stops working. */
  revokeAllTokens(): void;
  /**
   * The next `count` token requests fail with this status, whatever they carry: 429 as Google's
   * HTML "too many requests" page, 5xx as {"error":"internal_failure","error_description":"Backend Error"}.
   */
  failNext(count: number, status: number, retryAfterSeconds?: number): void;
  close(): Promise<void>;
}

interface Key {
  id: string;
  publicKey: crypto.KeyObject;
  privateKeyPem: string;
  disabled: boolean;
}

interface Account {
  email: string;
  clientId: string;
  projectId: string;
  keys: Map<string, Key>;
}

interface IssuedToken {
  iss: string;
  sub: string | null;
  scopes: string[];
  /** On the stand-in's clock. */
  expiresAt: number;
  revoked: boolean;
}

class TokenFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

const NO_CACHE = { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache', expires: 'Mon, 01 Jan 1990 00:00:00 GMT' };
const TOKEN_PATH = '/token';
const B64URL = /^[A-Za-z0-9_-]+$/;

class GoogleStandInServer implements GoogleStandIn {
  url = '';
  tokenUrl = '';
  readonly domain: string;
  readonly users: Set<string>;
  clockOffsetMs = 0;
  readonly audiences = new Set<string>([GOOGLE_TOKEN_URL]);
  readonly requests: GoogleTokenRequest[] = [];
  readonly unknownRequests: string[] = [];
  readonly projectId: string;
  private readonly accounts = new Map<string, Account>();
  private readonly delegations = new Map<string, Set<string>>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly failures: { remaining: number; status: number; retryAfterSeconds: number | undefined }[] = [];
  private server: https.Server | null = null;
  private serial = 0;

  constructor(options: { domain?: string; users?: string[]; projectId?: string }) {
    this.domain = options.domain ?? 'corp.example';
    this.users = new Set(options.users ?? [`postmaster@${this.domain}`]);
    this.projectId = options.projectId ?? 'postroom-mail-test';
  }

  get tokensIssued(): number {
    return this.requests.filter((r) => r.status === 200).length;
  }

  async start(): Promise<this> {
    const { server, port } = await listenHttps((req, res) => void this.handle(req, res));
    this.server = server;
    this.url = `https://127.0.0.1:${port}`;
    this.tokenUrl = this.url + TOKEN_PATH;
    this.audiences.add(this.tokenUrl);
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await closeHttpsServer(server);
  }

  // --- the console: service accounts and keys ---------------------------------------------------

  createServiceAccount(name?: string): GoogleServiceAccount {
    const accountName = name ?? `postroom-mailer-${++this.serial}`;
    // Service account IDs: 6 to 30 lowercase letters, digits and hyphens, starting with a letter.
    if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(accountName)) throw new Error(`not a valid service account ID: ${accountName}`);
    const email = `${accountName}@${this.projectId}.iam.gserviceaccount.com`;
    if (this.accounts.has(email)) throw new Error(`service account ${email} exists already`);
    // The numeric client ID ("Unique ID"): 21 digits.
    const clientId = '1' + Array.from({ length: 20 }, () => crypto.randomInt(0, 10)).join('');
    this.accounts.set(email, { email, clientId, projectId: this.projectId, keys: new Map() });
    return this.addKey(email);
  }

  addKey(clientEmail: string): GoogleServiceAccount {
    const account = this.account(clientEmail);
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const key: Key = { id: crypto.randomBytes(20).toString('hex'), publicKey, privateKeyPem, disabled: false };
    account.keys.set(key.id, key);
    const keyFile = {
      type: 'service_account',
      project_id: account.projectId,
      private_key_id: key.id,
      private_key: privateKeyPem,
      client_email: account.email,
      client_id: account.clientId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: GOOGLE_TOKEN_URL,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(account.email)}`,
      universe_domain: 'googleapis.com',
    };
    return { keyJson: JSON.stringify(keyFile, null, 2) + '\n', clientEmail: account.email, clientId: account.clientId, keyId: key.id, privateKeyPem };
  }

  deleteKey(keyId: string): void {
    this.keyOwner(keyId).keys.delete(keyId);
  }

  disableKey(keyId: string): void {
    this.key(keyId).disabled = true;
  }

  enableKey(keyId: string): void {
    this.key(keyId).disabled = false;
  }

  // --- the Admin console: domain-wide delegation ------------------------------------------------

  grantDelegation(clientId: string, scopes: string[]): void {
    this.delegations.set(clientId, new Set(scopes.map((s) => s.trim()).filter(Boolean)));
  }

  revokeDelegation(clientId: string): void {
    this.delegations.delete(clientId);
  }

  // --- Gmail's side -------------------------------------------------------------------------------

  acceptsForMail(user: string, accessToken: string, protocol: 'smtp' | 'imap' = 'smtp'): boolean {
    return this.mailRefusal(user, accessToken, protocol) === null;
  }

  mailRefusal(user: string, accessToken: string, protocol: 'smtp' | 'imap' = 'smtp'): string | null {
    const t = this.tokens.get(accessToken);
    if (!t) return 'the access token was not issued by this stand-in';
    if (t.revoked) return 'the access token was revoked';
    if (t.expiresAt <= this.now()) return 'the access token has expired';
    if (!t.sub) return `the access token is the service account's own (${t.iss}), not a user's: request it with sub = the mailbox`;
    if (t.sub.toLowerCase() !== user.trim().toLowerCase()) return `the access token is for ${t.sub}, not ${user}`;
    if (!this.isUser(t.sub)) return `${t.sub} is no longer a user of ${this.domain}`;
    const scopes = protocol === 'imap' ? [GMAIL_SCOPE, GMAIL_IMAP_ADMIN_SCOPE] : [GMAIL_SCOPE];
    if (!t.scopes.some((s) => scopes.includes(s))) return `the access token's scopes (${t.scopes.join(' ')}) do not include ${GMAIL_SCOPE}`;
    return null;
  }

  revokeAllTokens(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  failNext(count: number, status: number, retryAfterSeconds?: number): void {
    this.failures.push({ remaining: count, status, retryAfterSeconds });
  }

  // --- the token endpoint -------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req).catch(() => Buffer.alloc(0));
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (path !== TOKEN_PATH || req.method !== 'POST') {
      this.unknownRequests.push(`${req.method ?? '?'} ${path}`);
      return sendJson(res, 404, { error: 'not_found', error_description: `the stand-in serves POST ${TOKEN_PATH} only` });
    }
    const record: GoogleTokenRequest = { at: Date.now(), status: 0, error: null, sub: null, scope: null, iss: null };
    this.requests.push(record);
    const scripted = this.failures[0];
    if (scripted) {
      if (--scripted.remaining <= 0) this.failures.shift();
      record.status = scripted.status;
      // The 429 page is HTML and names no error code.
      record.error = scripted.status === 429 ? null : 'internal_failure';
      return sendFailure(res, scripted.status, scripted.retryAfterSeconds);
    }
    try {
      const answer = this.issue(req, body, record);
      record.status = 200;
      sendJson(res, 200, answer);
    } catch (err) {
      if (!(err instanceof TokenFailure)) {
        // A bug in the stand-in: say so loudly rather than leave the request hanging.
        record.status = 500;
        record.error = 'internal_failure';
        return sendJson(res, 500, { error: 'internal_failure', error_description: `stand-in bug: ${err instanceof Error ? err.message : String(err)}` });
      }
      record.status = err.status;
      record.error = err.error;
      sendJson(res, err.status, { error: err.error, error_description: err.description });
    }
  }

  private issue(req: IncomingMessage, body: Buffer, record: GoogleTokenRequest): { access_token: string; expires_in: number; token_type: 'Bearer' } {
    const fail = (status: number, error: string, description: string): never => {
      throw new TokenFailure(status, error, description);
    };
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      fail(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded. Missing required parameter: grant_type');
    }
    const form = new URLSearchParams(body.toString('utf8'));
    const grantType = form.get('grant_type');
    if (!grantType) fail(400, 'invalid_request', 'Missing required parameter: grant_type');
    if (grantType !== JWT_BEARER_GRANT) fail(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    const assertion = form.get('assertion');
    if (!assertion) fail(400, 'invalid_request', 'Missing required parameter: assertion');

    // "it must be Base64-encoded, without newlines or padding equal signs": otherwise it does not verify.
    const parts = (assertion ?? '').split('.');
    const [h, p, s] = parts;
    if (parts.length !== 3 || !h || !p || !s || !parts.every((x) => B64URL.test(x))) fail(400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    const header = parseJson(h ?? '');
    const claims = parseJson(p ?? '');
    if (!header || !claims) fail(400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    record.iss = str(claims?.iss);
    record.sub = str(claims?.sub);
    record.scope = str(claims?.scope);

    const account = record.iss ? this.accounts.get(record.iss) : undefined;
    if (!account) fail(401, 'invalid_client', GOOGLE_ERRORS.unknownClient);
    const acct = account as Account;
    if (header?.alg !== 'RS256') fail(400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    const kid = str(header?.kid);
    const candidates = kid ? [acct.keys.get(kid)].filter((k): k is Key => !!k) : [...acct.keys.values()];
    const data = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s ?? '', 'base64url');
    const key = candidates.find((k) => crypto.verify('sha256', data, k.publicKey, signature));
    if (!key) fail(400, 'invalid_grant', GOOGLE_ERRORS.badSignature);
    if (key?.disabled) fail(401, 'disabled_client', GOOGLE_ERRORS.disabledKey);

    const aud = claims?.aud;
    if (typeof aud !== 'string' || !this.audiences.has(aud)) fail(400, 'invalid_grant', GOOGLE_ERRORS.badAudience);

    const now = Math.floor(this.now() / 1000);
    const { iat, exp } = claims ?? {};
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      !Number.isFinite(iat) ||
      !Number.isFinite(exp) ||
      exp <= iat ||
      exp - iat > MAX_ASSERTION_SECONDS ||
      iat > now + CLOCK_SKEW_SECONDS ||
      exp <= now
    ) {
      fail(400, 'invalid_grant', GOOGLE_ERRORS.badTime);
    }

    const scopes = (record.scope ?? '').split(' ').filter(Boolean);
    // Space-separated, not comma-separated: "a,b" names a scope that does not exist.
    if (scopes.length === 0 || scopes.some((sc) => sc.includes(','))) fail(400, 'invalid_scope', GOOGLE_ERRORS.badScope);

    // sub = the account itself is no impersonation (the addendum's self-signed JWTs carry it so).
    const sub = record.sub && record.sub.toLowerCase() !== acct.email.toLowerCase() ? record.sub : null;
    if (sub) {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(sub)) fail(400, 'invalid_grant', GOOGLE_ERRORS.notAnEmail);
      if (!this.isUser(sub)) fail(400, 'invalid_grant', GOOGLE_ERRORS.unknownUser);
      // Keyed by the numeric client ID: an entry made with the client email matches nothing.
      const granted = this.delegations.get(acct.clientId);
      const allowed = scopes.filter((sc) => granted?.has(sc));
      if (allowed.length === 0) fail(401, 'unauthorized_client', GOOGLE_ERRORS.unauthorizedClient);
      if (allowed.length < scopes.length) fail(400, 'access_denied', GOOGLE_ERRORS.scopeNotAuthorized);
    }

    // Shaped like Google's opaque tokens ("ya29." and base64url).
    const accessToken = `ya29.c.${crypto.randomBytes(96).toString('base64url')}`;
    this.tokens.set(accessToken, { iss: acct.email, sub, scopes, expiresAt: this.now() + ACCESS_TOKEN_SECONDS * 1000, revoked: false });
    return { access_token: accessToken, expires_in: ACCESS_TOKEN_SECONDS, token_type: 'Bearer' };
  }

  // --- helpers ------------------------------------------------------------------------------------

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private isUser(address: string): boolean {
    const a = address.trim().toLowerCase();
    return [...this.users].some((u) => u.toLowerCase() === a);
  }

  private account(clientEmail: string): Account {
    const account = this.accounts.get(clientEmail);
    if (!account) throw new Error(`no service account ${clientEmail}`);
    return account;
  }

  private keyOwner(keyId: string): Account {
    const owner = [...this.accounts.values()].find((a) => a.keys.has(keyId));
    if (!owner) throw new Error(`no key ${keyId}`);
    return owner;
  }

  private key(keyId: string): Key {
    return this.keyOwner(keyId).keys.get(keyId) as Key;
  }
}

/** Starts a stand-in on a free loopback port, serving HTTPS with the test CA's certificate. */
export async function startGoogleStandIn(options: { domain?: string; users?: string[]; projectId?: string } = {}): Promise<GoogleStandIn> {
  return new GoogleStandInServer(options).start();
}

function parseJson(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...NO_CACHE });
  res.end(payload);
}

/** A scripted failure: 429 as an HTML page (as Google's front end answers it), 5xx as JSON. */
function sendFailure(res: ServerResponse, status: number, retryAfterSeconds: number | undefined): void {
  const retry: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
  if (status === 429) {
    const page =
      '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Error 429 (Too Many Requests)</title></head>\n' +
      '<body><p><b>429.</b> That\u2019s an error.</p><p>We\u2019re sorry, but you have sent too many requests to us recently. Please try again later.</p></body></html>\n';
    res.writeHead(429, { 'content-type': 'text/html; charset=UTF-8', 'content-length': Buffer.byteLength(page), ...retry });
    res.end(page);
    return;
  }
  const payload = JSON.stringify({ error: 'internal_failure', error_description: 'Backend Error' }, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...NO_CACHE, ...retry });
  res.end(payload);
}
