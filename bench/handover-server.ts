// The HTTP server side of the hand-over benchmark, in a child process of its own so that it does
// not share an event loop with autocannon: a real Postroom API server, or a bare Fastify route.
//
// Usage: node --import tsx bench/handover-server.ts bare|postroom-sqlite|postroom-postgres
// Prints one JSON line {port, token}; stops (and removes its data) when stdin closes or on SIGTERM.
// A line "cpu" on stdin is answered with one JSON line {cpuMs}: the process's CPU time (user +
// system, every thread) since the previous "cpu", so the parent can divide a run's CPU by its requests.
import Fastify, { type FastifyInstance } from 'fastify';
import { buildHttpServer, DEFAULT_HAND_OVER_LIMITS } from '../src/http/index.js';
import { requestJsonSchema } from '../src/http/api.js';
import { HAND_OVER_BODY, HAND_OVER_BODY_LIMIT } from '../src/http/routes/emails.js';
import { serveParent } from './child-server.js';
import { POSTMASTER, openBenchPostroom, type BenchPostroom } from './common.js';

export type ServerKind = 'bare' | 'postroom-sqlite' | 'postroom-postgres';

const kind = process.argv[2] as ServerKind;
let app: FastifyInstance;
let bench: BenchPostroom | null = null;
let token = '';

if (kind === 'bare') {
  // The floor: Fastify parses the same JSON body, validates it with its compiled (Ajv) validator
  // against the JSON Schema the OpenAPI document gives for POST /api/v1/emails, and answers 202;
  // no token, nothing stored. The "$schema" (2020-12) is dropped: Fastify's Ajv speaks draft-07,
  // and nothing in this schema differs between the two.
  const { $schema: _dialect, ...body } = requestJsonSchema(HAND_OVER_BODY);
  app = Fastify({ logger: false });
  app.post('/api/v1/emails', { schema: { body }, bodyLimit: HAND_OVER_BODY_LIMIT }, async (_req, reply) => reply.code(202).send());
} else if (kind === 'postroom-sqlite' || kind === 'postroom-postgres') {
  bench = await openBenchPostroom(kind === 'postroom-sqlite' ? 'sqlite' : 'postgres');
  // A postmaster makes hand-overs without a sender acceptable; sending stays disabled, so this
  // measures the hand-over path alone (validation, token check, the insert).
  await bench.postroom.settings.update({ postmaster: POSTMASTER }, 'bench');
  token = (await bench.postroom.tokens.create('bench', 'bench')).token;
  // The per-token limit (120,000 a minute by default) would cap a 20 s run: this measures the
  // path, not the limit. The limit on hand-overs in progress stays as shipped.
  app = await buildHttpServer(bench.postroom, { handOver: { ...DEFAULT_HAND_OVER_LIMITS, perMinute: 0 } });
} else {
  throw new Error(`unknown server kind "${kind}"`);
}

await serveParent(app, token, async () => {
  await bench?.cleanup();
});
