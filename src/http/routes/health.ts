// /healthz for load balancers and monitors (status for anyone, details for an administrator or
// a token), /metrics for Prometheus (behind a token or an address list), and the OpenAPI document.
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Postroom } from '../../app.js';
import { API_PREFIX, type Api } from '../api.js';
import { identify } from '../caller.js';
import { forbidden, unauthorized } from '../errors.js';
import { hostNameOf, type MetricsAccess } from '../metrics.js';

export function healthRoutes(app: FastifyInstance, postroom: Postroom, api: Api, metrics: Registry, metricsAccess: MetricsAccess): void {
  app.get('/healthz', async (req, reply) => {
    // Route errors name hosts, internal addresses and accounts: only a known caller reads them.
    const caller = await identify(postroom, req).catch(() => null);
    try {
      await sql`select 1`.execute(postroom.store.db);
    } catch {
      return reply.status(503).send(caller ? { status: 'down', database: 'unreachable' } : { status: 'down' });
    }
    // A full disk still answers `select 1`: the writes say whether the database takes e-mails.
    const storage = postroom.store.health.state();
    if (storage.failing) {
      const database = storage.kind === 'full' ? 'full' : 'failing';
      return reply
        .status(503)
        .send(
          caller
            ? { status: 'down', database, databaseError: storage.lastError, failingSince: storage.since ? new Date(storage.since).toISOString() : null, faultsLastMinute: storage.recentFaults }
            : { status: 'down' },
        );
    }
    const { problems, warnings } = await postroom.settings.view();
    const last = postroom.dispatcher.lastCampaign;
    const degraded = !postroom.dispatcher.isRunning || problems.length > 0 || warnings.length > 0 || last?.outcome.state === 'route-failing' || last?.outcome.state === 'error';
    const status = degraded ? 'degraded' : 'ok';
    // 200 while the service accepts e-mails: a misconfiguration is "degraded", not "down",
    // since e-mails are still taken in and kept.
    if (!caller) return reply.send({ status });
    const sendingProcess = {
      running: postroom.dispatcher.isRunning,
      lastCampaignAt: last?.startedAt ?? null,
      lastCampaign: last?.outcome.state ?? null,
      ...(last?.outcome.state === 'route-failing' ? { routeError: last.outcome.message } : {}),
    };
    return reply.send({ status, database: 'ok', sendingProcess, configuration: { complete: problems.length === 0, problems, warnings } });
  });

  app.get('/metrics', async (req, reply) => {
    const grant = metricsAccess.permits(req.ip, req.headers.authorization, req.headers.host);
    if (grant !== 'granted') {
      const caller = await identify(postroom, req).catch(() => null);
      if (caller?.kind !== 'admin' && grant === 'wrong-host') {
        throw forbidden(`/metrics is answered to an address in POSTROOM_METRICS_ALLOW only under an IP address, localhost or a name in POSTROOM_METRICS_HOSTS, not ${hostNameOf(req.headers.host ?? '')}`);
      }
      if (caller?.kind !== 'admin') {
        void reply.header('www-authenticate', 'Bearer realm="postroom-metrics"');
        throw unauthorized('/metrics needs the metrics token (POSTROOM_METRICS_TOKEN) as a bearer token, an address in POSTROOM_METRICS_ALLOW, or an administrator session');
      }
    }
    const body = await metrics.metrics();
    return reply.type(metrics.contentType).send(body);
  });

  app.get(`${API_PREFIX}/openapi.json`, async () => api.openapi());
}
