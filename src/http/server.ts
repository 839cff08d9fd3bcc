// The HTTP server: Fastify with the JSON API under /api/v1, health and metrics, cookies for
// the console's session, one error handler, body limits on every route.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { Postroom } from '../app.js';
import { LoginThrottle, type ThrottleOptions } from '../access/index.js';
import type { MicrosoftEndpoints, RouteOptions } from '../transports/index.js';
import { Api } from './api.js';
import { errorHandler } from './errors.js';
import { createMetrics } from './metrics.js';
import { authRoutes } from './routes/auth.js';
import { draftRoutes, emailRoutes } from './routes/emails.js';
import { OutlookDrafts } from '../outlook/index.js';
import { sendingRoutes } from './routes/sending.js';
import { healthRoutes } from './routes/health.js';
import { pageRoutes } from './routes/pages.js';
import { consoleRoutes } from './routes/console.js';
import { settingsRoutes } from './routes/settings.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';

export interface HttpOptions {
  /** Mark cookies Secure: set when Postroom is reached over HTTPS (behind a proxy). */
  secureCookies?: boolean;
  /** Trust X-Forwarded-For from a proxy in front (for the per-client login limit). */
  trustProxy?: boolean;
  throttle?: ThrottleOptions;
  /** Options for routes made by test-connection and test-email (extra CA). */
  route?: RouteOptions;
  /** Microsoft endpoints of a test stand-in; default: those of the microsoftCloud setting. */
  endpoints?: MicrosoftEndpoints;
  /** Always run a campaign right after a hand-over, whatever the `wakeOnHandOver` setting says. */
  wakeOnHandOver?: boolean;
}

export async function buildHttpServer(postroom: Postroom, options: HttpOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: postroom.logger.child({ module: 'http' }) as FastifyBaseLogger,
    logController: new Fastify.LogController({ disableRequestLogging: true }),
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
  });
  await app.register(cookie);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => void reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });

  const api = new Api(app, postroom);
  const onHandOver = options.wakeOnHandOver ? () => postroom.dispatcher.wake() : () => postroom.dispatcher.handedOver();
  authRoutes(api, new LoginThrottle(options.throttle), options.secureCookies ?? false);
  settingsRoutes(api, { ...options.route, graphSlots: postroom.graphSlots }, options.endpoints);
  const drafts = new OutlookDrafts(postroom.settings, postroom.users, options.endpoints, options.route?.ca, postroom.graphSlots);
  emailRoutes(api, onHandOver, drafts);
  draftRoutes(api, drafts);
  sendingRoutes(api, onHandOver);
  userRoutes(api);
  tokenRoutes(api);
  healthRoutes(app, postroom, api, createMetrics(postroom));
  pageRoutes(app);
  consoleRoutes(app);
  return app;
}
