// The HTTP server: Fastify with the JSON API under /api/v1, health and metrics, cookies for
// the console's session, one error handler, body limits on every route.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { Postroom } from '../app.js';
import { LoginThrottle, type ThrottleOptions } from '../access/index.js';
import type { MicrosoftEndpoints, RouteOptions } from '../transports/index.js';
import { Api } from './api.js';
import { clientErrorHandler, errorHandler, frameworkErrorHandler, MAX_PARAM_LENGTH } from './errors.js';
import { createMetrics, MetricsAccess, type MetricsAccessOptions } from './metrics.js';
import { HandOverLimits, type HandOverLimitOptions } from './limits.js';
import { authRoutes } from './routes/auth.js';
import { draftRoutes, emailRoutes } from './routes/emails.js';
import { batchRoutes } from './routes/batch.js';
import { Composer, OutlookDrafts } from '../outlook/index.js';
import { sendingRoutes } from './routes/sending.js';
import { healthRoutes } from './routes/health.js';
import { pageRoutes } from './routes/pages.js';
import { consoleRoutes } from './routes/console.js';
import { settingsRoutes } from './routes/settings.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface HttpOptions {
  /** Always mark cookies Secure; without it they are Secure when the request came over HTTPS. */
  secureCookies?: boolean;
  /**
   * Proxies in front whose X-Forwarded-For and X-Forwarded-Proto are believed: a number of hops
   * (true = exactly one), or their addresses and subnets. Default: none.
   */
  trustProxy?: boolean | number | string[];
  /** Who may read /metrics besides an administrator: a bearer token, client addresses/subnets. */
  metrics?: MetricsAccessOptions;
  /** Hand-over limits (per token: rate and concurrency; for the server: bytes in progress), or the limits themselves to share them. */
  handOver?: HandOverLimitOptions | HandOverLimits;
  throttle?: ThrottleOptions;
  /** Options for routes made by test-connection and test-email (extra CA). */
  route?: RouteOptions;
  /** Microsoft endpoints of a test stand-in; default: those of the microsoftCloud setting. */
  endpoints?: MicrosoftEndpoints;
  /** A request must arrive in full within this; default 120 s. */
  requestTimeoutMs?: number;
  /** Always run a campaign right after a hand-over, whatever the `wakeOnHandOver` setting says. */
  wakeOnHandOver?: boolean;
}

/**
 * Fastify's own number form trusts no hop at all (it cannot check the peer), so hops are a
 * function: the socket's peer and the next hops-1 X-Forwarded-For entries (from the right) are
 * proxies, and the entry after them is the client. Entries further left were written by the
 * client and are never believed.
 */
function proxyTrust(trust: HttpOptions['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === undefined || trust === false) return false;
  if (Array.isArray(trust)) return trust;
  const hops = trust === true ? 1 : trust;
  return (_address, hop) => hop < hops;
}

export async function buildHttpServer(postroom: Postroom, options: HttpOptions = {}): Promise<FastifyInstance> {
  // A server takes hand-overs for as long as it runs: its commits must not wait for checkpoints.
  postroom.store.sqlite?.checkpointInBackground();
  const requestTimeout = options.requestTimeoutMs ?? 120_000;
  const app: FastifyInstance = Fastify({
    loggerInstance: postroom.logger.child({ module: 'http' }) as FastifyBaseLogger,
    logController: new Fastify.LogController({ disableRequestLogging: true }),
    trustProxy: proxyTrust(options.trustProxy),
    bodyLimit: 1024 * 1024,
    // Node's defaults under Fastify are no limit: a body dripping in would hold its slot forever.
    requestTimeout,
    // Node applies a request timeout only when the server is made with it (setting it afterwards, as
    // Fastify does, is not enough), and looks for late requests every 30 s unless told otherwise.
    http: { requestTimeout, headersTimeout: Math.min(60_000, requestTimeout), connectionsCheckingInterval: Math.max(250, Math.min(5_000, requestTimeout / 4)) },
    // A connection silent this long in both directions is closed (no handler waits this long).
    connectionTimeout: 300_000,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  await app.register(cookie);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => void reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });

  const api = new Api(app, postroom, options.handOver instanceof HandOverLimits ? options.handOver : new HandOverLimits(options.handOver));
  const onHandOver = options.wakeOnHandOver ? () => postroom.dispatcher.wake() : () => postroom.dispatcher.handedOver();
  authRoutes(api, new LoginThrottle(postroom.store, options.throttle), options.secureCookies ?? false);
  settingsRoutes(api, { ...options.route, graphSlots: postroom.graphSlots }, options.endpoints);
  const drafts = new OutlookDrafts(postroom.settings, postroom.users, options.endpoints, options.route?.ca, postroom.graphSlots);
  // The server's own drafts (its endpoints and CA, as for test-connection), decided as Postroom.compose decides.
  emailRoutes(api, onHandOver, new Composer(postroom.queue, postroom.users, drafts));
  batchRoutes(api, onHandOver);
  draftRoutes(api, drafts);
  sendingRoutes(api, onHandOver);
  userRoutes(api);
  tokenRoutes(api);
  webhookRoutes(api);
  healthRoutes(app, postroom, api, createMetrics(postroom), new MetricsAccess(options.metrics));
  pageRoutes(app);
  consoleRoutes(app);
  return app;
}
