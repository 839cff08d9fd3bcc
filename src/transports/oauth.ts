// Access tokens for the Microsoft routes (client-credentials flow, with a client secret or a client
// certificate) through MSAL Node, with the guards MSAL lacks: one token request per scope at a
// time, no empty token accepted, and refused requests spaced out while the refusal lasts.
import crypto from 'node:crypto';
import type { ConfidentialClientApplication, Configuration, INetworkModule, NetworkResponse } from '@azure/msal-node';
import { cloudOf, readClientCertificate } from '../settings/index.js';
import { DeliveryError } from './route.js';
import { readAadsts } from './aadsts.js';
import { httpsRequest, parseJson } from './https.js';
import { UNTRUSTED, UNTRUSTED_MICROSOFT_HINT } from './trust.js';

export interface MicrosoftEndpoints {
  /** The cloud's sign-in root (POSTROOM_MS_LOGIN_URL points it at a test stand-in). */
  loginUrl: string;
  /** The cloud's Graph root (POSTROOM_GRAPH_URL points it at a test stand-in). */
  graphUrl: string;
  /** Scope of Exchange Online SMTP (POSTROOM_MS_SMTP_SCOPE for a stand-in). */
  smtpScope: string;
  /** Exchange Online's SMTP submission host in this cloud, used when SMTP host is empty. */
  smtpHost: string;
  /** Scope of Graph: the Graph URL's origin + /.default. */
  graphScope: string;
  /** Whether Graph offers upload sessions for Outlook attachments in this cloud. */
  uploadSessions: boolean;
}

/**
 * The endpoints of the `microsoftCloud` setting (see settings/clouds.ts for the sources); the
 * environment variables only point them at stand-ins, for tests.
 */
export function microsoftEndpoints(env: NodeJS.ProcessEnv = process.env, cloud = 'worldwide'): MicrosoftEndpoints {
  const c = cloudOf(cloud);
  const loginUrl = (env.POSTROOM_MS_LOGIN_URL || c.loginUrl).replace(/\/+$/, '');
  const graphUrl = (env.POSTROOM_GRAPH_URL || c.graphUrl).replace(/\/+$/, '');
  return {
    loginUrl,
    graphUrl,
    smtpScope: env.POSTROOM_MS_SMTP_SCOPE || c.smtpScope,
    smtpHost: c.smtpHost,
    graphScope: `${new URL(graphUrl).origin}/.default`,
    uploadSessions: c.uploadSessions,
  };
}

export interface OAuthCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** PEM certificate + private key; when set it is used instead of the secret. */
  clientCertificate?: string;
}

/** The credentials the settings hold: the certificate wins over the secret when both are there. */
export function credentialsOf(s: { tenantId: string; clientId: string; clientSecret: string; clientCertificate?: string }): OAuthCredentials {
  return s.clientCertificate
    ? { tenantId: s.tenantId, clientId: s.clientId, clientSecret: '', clientCertificate: s.clientCertificate }
    : { tenantId: s.tenantId, clientId: s.clientId, clientSecret: s.clientSecret };
}

/**
 * The application permissions ("roles" claim) of an app token. Access tokens are meant to be opaque
 * to clients, so this is for advice only: null when the token cannot be read as a JWT.
 */
export function tokenRoles(token: string): string[] | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return null;
  }
}

/** After this many refusals in a row, token requests wait longer each time (cap: BACKOFF_CAP_MS). */
const FREE_REFUSALS = 3;
const BACKOFF_BASE_MS = 15_000;
const BACKOFF_CAP_MS = 15 * 60_000;

interface CachedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

/** MSAL's requests go through our HTTPS client, so an extra CA (tests, private proxies) applies. */
// MSAL reports a failed request only as "network_error": the failure is kept to say what it was.
function networkModule(ca: string | string[] | undefined, failed: (err: Error) => void): INetworkModule {
  const send = async <T>(method: string, url: string, options?: { headers?: Record<string, string>; body?: string }, timeout?: number): Promise<NetworkResponse<T>> => {
    const r = await httpsRequest(url, { method, headers: options?.headers ?? {}, ...(options?.body !== undefined ? { body: options.body } : {}), ca, timeoutMs: timeout ?? 30_000 }).catch((err: Error) => {
      failed(err);
      throw err;
    });
    return { status: r.status, headers: r.headers, body: parseJson(r.body) as T };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

export class TokenProvider {
  // MSAL is some 120 modules: loaded on the first token request, not by every `postroom` command.
  private app: Promise<ConfidentialClientApplication> | null = null;
  private readonly msalConfig: Configuration;
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();
  /** Token requests made (for tests and metrics). */
  requests = 0;
  private networkFailure: Error | null = null;
  /**
   * Refusals that will repeat until someone changes something (wrong secret, no consent): the
   * identity platform throttles a client that keeps sending the same refused request, so after
   * FREE_REFUSALS in a row the next request waits 15 s, then 30 s, 60 s, … up to 15 minutes.
   */
  private refusals = { count: 0, until: 0, last: null as DeliveryError | null };

  constructor(
    private readonly credentials: OAuthCredentials,
    endpoints: MicrosoftEndpoints,
    ca?: string | string[],
  ) {
    const authority = `${endpoints.loginUrl}/${credentials.tenantId}`;
    const custom = new URL(endpoints.loginUrl).host !== 'login.microsoftonline.com';
    let secretOrCertificate: Pick<NonNullable<Configuration['auth']>, 'clientSecret' | 'clientCertificate'>;
    if (credentials.clientCertificate) {
      // MSAL signs the client assertion (PS256, x5t#S256) with the key; x5c lets Entra ID check
      // the chain ("Microsoft identity platform certificate credentials").
      const c = readClientCertificate(credentials.clientCertificate);
      secretOrCertificate = { clientCertificate: { thumbprintSha256: c.thumbprintSha256, privateKey: c.privateKeyPem, x5c: c.certificatePem } };
    } else {
      secretOrCertificate = { clientSecret: credentials.clientSecret };
    }
    this.msalConfig = {
      auth: {
        clientId: credentials.clientId,
        ...secretOrCertificate,
        authority,
        // A stand-in or national-cloud authority: trusted as given, with its metadata supplied so
        // MSAL makes no discovery request.
        ...(custom
          ? {
              knownAuthorities: [new URL(endpoints.loginUrl).host],
              authorityMetadata: JSON.stringify({
                token_endpoint: `${authority}/oauth2/v2.0/token`,
                authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
                end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
                issuer: `${authority}/v2.0`,
                jwks_uri: `${authority}/discovery/v2.0/keys`,
              }),
            }
          : {}),
      },
      system: { networkClient: networkModule(ca, (err) => (this.networkFailure = err)) },
    };
  }

  private client(): Promise<ConfidentialClientApplication> {
    this.app ??= import('@azure/msal-node').then((msal) => new msal.ConfidentialClientApplication(this.msalConfig));
    return this.app;
  }

  /**
   * A token for the scope: cached, or fetched once however many callers ask at the same time.
   * `now`: an administrator asked (Test connection): the back-off after refusals does not apply.
   */
  async getToken(scope: string, options: { forceRefresh?: boolean; now?: boolean } = {}): Promise<string> {
    const cached = this.cache.get(scope);
    if (!options.forceRefresh && cached && !expiringSoon(cached)) return cached.token;
    const last = this.refusals.last;
    if (!options.now && last && Date.now() < this.refusals.until) {
      const at = new Date(this.refusals.until).toISOString().slice(11, 19);
      throw new DeliveryError(`${last.message} (refused ${this.refusals.count} times in a row: no new token request before ${at} UTC)`, last.kind, 'route');
    }
    let pending = this.inFlight.get(scope);
    if (!pending) {
      pending = this.fetch(scope).finally(() => this.inFlight.delete(scope));
      this.inFlight.set(scope, pending);
    }
    return (await pending).token;
  }

  /** Forget a token the server refused (a 401 from Graph, a 535 from Exchange). */
  invalidate(scope: string, token?: string): void {
    const cached = this.cache.get(scope);
    if (cached && (token === undefined || cached.token === token)) this.cache.delete(scope);
  }

  private async fetch(scope: string): Promise<CachedToken> {
    this.requests++;
    this.networkFailure = null;
    let result;
    try {
      // Our cache decides when a token is stale; MSAL's own cache would hand back a refused one.
      result = await (await this.client()).acquireTokenByClientCredential({ scopes: [scope], skipCache: true });
    } catch (err) {
      const failure = tokenError(err, this.networkFailure);
      // Transient refusals carry their own Retry-After (MSAL honours it); only lasting ones back off.
      if (failure.kind === 'permanent') {
        const count = this.refusals.count + 1;
        const wait = count >= FREE_REFUSALS ? Math.min(BACKOFF_BASE_MS * 2 ** (count - FREE_REFUSALS), BACKOFF_CAP_MS) : 0;
        this.refusals = { count, until: Date.now() + wait, last: failure };
      }
      throw failure;
    }
    this.refusals = { count: 0, until: 0, last: null };
    // MSAL can resolve without a token on an odd answer: never hand an empty one to a server.
    if (!result?.accessToken) {
      throw new DeliveryError('the Microsoft identity platform answered without an access token', 'transient', 'route');
    }
    const expiresAt = result.expiresOn ? result.expiresOn.getTime() : Date.now() + 3_600_000;
    const token = { token: result.accessToken, expiresAt, issuedAt: Date.now() };
    this.cache.set(scope, token);
    return token;
  }
}

/** Renew five minutes before expiry, or at half the lifetime for short-lived tokens. */
function expiringSoon(t: CachedToken): boolean {
  const lifetime = t.expiresAt - t.issuedAt;
  const margin = Math.min(300_000, lifetime / 2);
  return Date.now() >= t.expiresAt - margin;
}

function tokenError(err: unknown, networkFailure: Error | null = null): DeliveryError {
  const e = err as { errorCode?: string; errorMessage?: string; message?: string; errorNo?: string; code?: string };
  const text = (e.errorCode === 'network_error' && networkFailure?.message) || e.errorMessage || e.message || String(err);
  if (/AADSTS\d+/.test(text)) {
    const reading = readAadsts(text, e.errorNo ? [Number(e.errorNo)] : undefined);
    return new DeliveryError(`token request refused: ${reading.message}`, reading.transient ? 'transient' : 'permanent', 'route');
  }
  // Network trouble, timeouts, 5xx: the identity platform may answer next time.
  const first = text.split(/\r?\n/)[0] ?? '';
  return new DeliveryError(`cannot get a token from the Microsoft identity platform: ${first}${UNTRUSTED.test(text) ? ` (${UNTRUSTED_MICROSOFT_HINT})` : ''}`, 'transient', 'route');
}

const providers = new Map<string, TokenProvider>();

/** One provider per credentials and endpoints, shared by the routes, test-connection and drafts. */
export function tokenProviderFor(credentials: OAuthCredentials, endpoints: MicrosoftEndpoints, ca?: string | string[]): TokenProvider {
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify([credentials, endpoints.loginUrl, ca ?? null]))
    .digest('hex');
  let p = providers.get(key);
  if (!p) {
    p = new TokenProvider(credentials, endpoints, ca);
    providers.set(key, p);
  }
  return p;
}
