// `postroom serve`: opens Postroom, starts the HTTP server and the sending process, and keeps
// running until SIGTERM or SIGINT; then stops gracefully (in-flight sends finish or are released).
import pino from 'pino';
import { openPostroom } from '../app.js';
import type { RuntimeConfig } from '../config.js';
import { buildHttpServer } from '../http/index.js';

export async function serve(config: RuntimeConfig): Promise<number> {
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } });
  const postroom = await openPostroom({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger, dispatcher: { leaseMs: config.leaseMs } });
  const admin = await postroom.admins.prepare(process.env.POSTROOM_ADMIN_PASSWORD || undefined);
  const app = await buildHttpServer(postroom, { secureCookies: config.secureCookies, trustProxy: config.trustProxy });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await postroom.close();
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const view = await postroom.settings.view();
  logger.info(
    { url: base, database: postroom.store.location, enabled: view.settings.enabled, problems: view.problems },
    view.settings.enabled ? 'Postroom serving' : 'Postroom serving; sending is disabled (settings set enabled=true)',
  );
  if (admin.state === 'setup') {
    // The one moment a secret is logged on purpose: it is the only way in, it works once, and
    // it dies at the next start or in 24 hours.
    logger.warn(`no administrator password yet: open ${base}/setup#token=${admin.setupToken} to choose one (or run: postroom admin password)`);
  }
  await postroom.dispatcher.start();
  postroom.deliverer.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await app.close();
  await postroom.close();
  return 0;
}
