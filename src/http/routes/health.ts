// /healthz for load balancers and monitors, /metrics for Prometheus, and the OpenAPI document.
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Postroom } from '../../app.js';
import { API_PREFIX, type Api } from '../api.js';

export function healthRoutes(app: FastifyInstance, postroom: Postroom, api: Api, metrics: Registry): void {
  app.get('/healthz', async (_req, reply) => {
    try {
      await sql`select 1`.execute(postroom.store.db);
    } catch {
      return reply.status(503).send({ status: 'down', database: 'unreachable' });
    }
    const { problems, warnings } = await postroom.settings.view();
    const last = postroom.dispatcher.lastCampaign;
    const sendingProcess = {
      running: postroom.dispatcher.isRunning,
      lastCampaignAt: last?.startedAt ?? null,
      lastCampaign: last?.outcome.state ?? null,
      ...(last?.outcome.state === 'route-failing' ? { routeError: last.outcome.message } : {}),
    };
    const degraded = !postroom.dispatcher.isRunning || problems.length > 0 || warnings.length > 0 || last?.outcome.state === 'route-failing' || last?.outcome.state === 'error';
    // 200 while the service accepts e-mails: a misconfiguration is "degraded", not "down",
    // since e-mails are still taken in and kept.
    return reply.send({ status: degraded ? 'degraded' : 'ok', database: 'ok', sendingProcess, configuration: { complete: problems.length === 0, problems, warnings } });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.metrics();
    return reply.type(metrics.contentType).send(body);
  });

  app.get(`${API_PREFIX}/openapi.json`, async () => api.openapi());
}
