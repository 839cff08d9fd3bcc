// `postroom serve`: opens Postroom, starts the HTTP server and the sending process, and keeps
// running until SIGTERM or SIGINT; then stops gracefully (in-flight sends finish or are released).
import type { RuntimeConfig } from '../config.js';
import type { Command } from './command.js';
import { SAID, word } from './words.js';
import { NB } from '../i18n/index.js';

export const serveCommand: Command = {
  name: 'serve',
  overview: [{ usage: 'serve', summary: { en: 'run the HTTP API, the console and the sending process', fr: 'lance l’API HTTP, la console et le processus d’envoi' } }],
  help: {
    en: `Usage: postroom serve

Runs the HTTP API and the administration console (POSTROOM_HOST:POSTROOM_PORT, default
127.0.0.1:8030) and the sending process, until SIGTERM or SIGINT. On the first start it prints
the one-time link where the admin password is chosen.`,
    fr: `Utilisation${NB}: postroom serve

Lance l’API HTTP et la console d’administration (POSTROOM_HOST:POSTROOM_PORT, par défaut
127.0.0.1:8030) ainsi que le processus d’envoi, jusqu’à SIGTERM ou SIGINT. Au premier démarrage,
affiche le lien à usage unique où choisir le mot de passe d’admin.`,
  },
  run: (config) => serve(config),
};

export async function serve(config: RuntimeConfig): Promise<number> {
  // The HTTP server's modules (Fastify, the console, metrics) load only for `serve`: every other
  // command imports this file for its help, and must start without them.
  const { buildHttpServer, HandOverLimits } = await import('../http/index.js');
  const { HeapTrimmer } = await import('../memory/index.js');
  // Loaded when serving, not for every command's --help.
  const [{ openPostroom }, { default: pino }] = await Promise.all([import('../app.js'), import('pino')]);
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } });
  const postroom = await openPostroom({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    logger,
    dispatcher: { leaseMs: config.leaseMs, shutdownGraceMs: config.shutdownGraceMs },
    webhooks: { stopGraceMs: config.shutdownGraceMs },
    sessions: config.session,
  });
  const admin = await postroom.admins.prepare(process.env.POSTROOM_ADMIN_PASSWORD || undefined);
  const handOvers = new HandOverLimits(config.handOver);
  const app = await buildHttpServer(postroom, {
    secureCookies: config.secureCookies,
    trustProxy: config.trustProxy,
    metrics: { token: config.metricsToken, allow: config.metricsAllow, hosts: config.metricsHosts },
    handOver: handOvers,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await postroom.close();
    throw new Error(word(SAID.cannotListen, { where: `${config.host}:${config.port}`, why: (err as Error).message }));
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
    // The link is a credential: it goes to the person at the terminal (stderr), never into the
    // JSON log, which ships to log collectors. It works once and dies at the next start or in 24 hours.
    logger.warn('no administrator password yet: the one-time setup link was printed on standard error (or run: postroom admin password)');
    process.stderr.write(word(SAID.setupLink, { link: `${base}/setup#token=${admin.setupToken}` }));
  }
  let stopping = 0;
  await postroom.dispatcher.start();
  postroom.deliverer.start();
  postroom.bounces.start();
  // After a burst of large hand-overs glibc keeps hundreds of MB it no longer uses: given back once quiet.
  const heap = new HeapTrimmer({ quiet: () => handOvers.bytesInProgress === 0, logger: logger.child({ module: 'memory' }) });
  heap.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      stopping = Date.now();
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  // New requests are refused at once (503); one still running may take a moment, not the stop's budget.
  heap.stop();
  const closing = app.close();
  await Promise.race([closing, new Promise((r) => setTimeout(r, 1_000).unref())]);
  app.server.closeAllConnections();
  await postroom.close();
  logger.info({ stoppedInMs: Date.now() - stopping }, 'stopped');
  return 0;
}
