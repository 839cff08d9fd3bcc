// Access tokens for the Microsoft routes (client-credentials flow) through MSAL Node, with the
// two guards MSAL lacks: one token request per scope at a time, and no empty token accepted.
// Tokens are cached per scope until shortly before they expire, and can be dropped after a 401/535.
import crypto from 'node:crypto';
import type { ConfidentialClientApplication, Configuration, INetworkModule, NetworkResponse } from '@azure/msal-node';
import { DeliveryError } from './route.js';
import { readAadsts } from './aadsts.js';
import { httpsRequest, parseJson } from './https.js';
import { UNTRUSTED, UNTRUSTED_MICROSOFT_HINT } from './trust.js';

export interface MicrosoftEndpoints {
  /** POSTROOM_MS_LOGIN_URL, default https://login.microsoftonline.com */
  loginUrl: string;
  /** POSTROOM_GRAPH_URL, default https://graph.microsoft.com */
  graphUrl: string;
  /** Scope of Exchange Online SMTP (POSTROOM_MS_SMTP_SCOPE for a national cloud). */
  smtpScope: string;
  /** Scope of Graph: the Graph URL's origin + /.default. */
  graphScope: string;
}

export function microsoftEndpoints(env: NodeJS.ProcessEnv = process.env): MicrosoftEndpoints {
  const loginUrl = (env.POSTROOM_MS_LOGIN_URL || 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const graphUrl = (env.POSTROOM_GRAPH_URL || 'https://graph.microsoft.com').replace(/\/+$/, '');
  return {
    loginUrl,
    graphUrl,
    smtpScope: env.POSTROOM_MS_SMTP_SCOPE || 'https://outlook.office365.com/.default',
    graphScope: `${new URL(graphUrl).origin}/.default`,
  };
}

export interface OAuthCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

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

  constructor(
    private readonly credentials: OAuthCredentials,
    endpoints: MicrosoftEndpoints,
    ca?: string | string[],
  ) {
    const authority = `${endpoints.loginUrl}/${credentials.tenantId}`;
    const custom = new URL(endpoints.loginUrl).host !== 'login.microsoftonline.com';
    this.msalConfig = {
      auth: {
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
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

  /** A token for the scope: cached, or fetched once however many callers ask at the same time. */
  async getToken(scope: string, options: { forceRefresh?: boolean } = {}): Promise<string> {
    const cached = this.cache.get(scope);
    if (!options.forceRefresh && cached && !expiringSoon(cached)) return cached.token;
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
      throw tokenError(err, this.networkFailure);
    }
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
