// The HTTP server side of the batch hand-over benchmark, in a child process of its own so that it
// does not share an event loop with the client: a real Postroom API server, or BullMQ addBulk.
//
// Usage: node --import tsx bench/batch-server.ts postroom-sqlite|postroom-postgres|bullmq
// Prints one JSON line {port, token}; stops (and removes its data) when stdin closes or on SIGTERM.
// Lines on stdin: "cpu" is answered with {cpuMs}, the process's CPU time (user + system, every
// thread) since the previous "cpu"; "count" with {count}, the e-mails (or jobs) stored so far.
import crypto from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { Queue as BullQueue } from 'bullmq';
import { buildHttpServer, DEFAULT_HAND_OVER_LIMITS } from '../src/http/index.js';
import { HAND_OVER_BODY } from '../src/http/routes/emails.js';
import { BATCH_BODY_LIMIT } from '../src/http/routes/batch.js';
import { BATCH_MAX_EMAILS } from '../src/queue/index.js';
import { newMessageId } from '../src/queue/new-email.js';
import { serveParent } from './child-server.js';
import { POSTMASTER, REDIS, deleteRedisKeys, onInterrupt, openBenchPostroom, type BenchPostroom } from './common.js';

export type BatchServerKind = 'postroom-sqlite' | 'postroom-postgres' | 'bullmq';

const kind = process.argv[2] as BatchServerKind;
let app: FastifyInstance;
let bench: BenchPostroom | null = null;
let token = '';
let count: () => Promise<number>;
let cleanup = async () => {};

if (kind === 'postroom-sqlite' || kind === 'postroom-postgres') {
  bench = await openBenchPostroom(kind === 'postroom-sqlite' ? 'sqlite' : 'postgres');
  const { postroom } = bench;
  // A postmaster makes hand-overs without a sender acceptable; sending stays disabled, so this
  // measures the hand-over path alone (validation, token check, the insert).
  await postroom.settings.update({ postmaster: POSTMASTER }, 'bench');
  token = (await postroom.tokens.create('bench', 'bench')).token;
  // 120,000 e-mails a minute per token (the default) is 2,000/s: this measures the path, not the limit.
  app = await buildHttpServer(postroom, { handOver: { ...DEFAULT_HAND_OVER_LIMITS, perMinute: 0, concurrent: 0 } });
  count = async () => Number((await sql<{ n: number | string }>`select count(*) as n from emails`.execute(postroom.store.db)).rows[0]?.n ?? 0);
  cleanup = () => (bench as BenchPostroom).cleanup();
} else if (kind === 'bullmq') {
  // What a host app would write with BullMQ instead: the same envelope and the same per-e-mail
  // zod schema as Postroom's route (a bad e-mail answers in its own result), then one addBulk.
  // No token check: that is Postroom's cost alone. The queue has a key prefix of its own; every
  // key under it is deleted at the end (obliterate() leaves meta and event keys behind).
  const prefix = `postroom-bench-${crypto.randomBytes(5).toString('hex')}`;
  const connection = { ...REDIS, maxRetriesPerRequest: null };
  const queue = new BullQueue('email', { connection, prefix });
  const deleteKeys = () => deleteRedisKeys(prefix);
  const forget = onInterrupt(deleteKeys);
  const envelope = z.object({ emails: z.array(z.unknown()).min(1).max(BATCH_MAX_EMAILS) }).strict();
  const domain = POSTMASTER.split('@')[1] as string;
  app = Fastify({ logger: false });
  app.post('/api/v1/emails/batch', { bodyLimit: BATCH_BODY_LIMIT }, async (req, reply) => {
    const body = envelope.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: 'invalid_request', message: body.error.message });
    const results: unknown[] = [];
    const jobs: { index: number; messageId: string; data: unknown }[] = [];
    const now = Date.now();
    for (const [index, input] of body.data.emails.entries()) {
      const parsed = HAND_OVER_BODY.safeParse(input);
      if (!parsed.success) {
        results[index] = { index, error: { code: 'invalid_request', message: 'e-mail refused', fields: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) } };
      } else {
        // The same Message-ID Postroom would make, so the answer carries the same fields.
        const messageId = newMessageId(now, domain);
        jobs.push({ index, messageId, data: { ...parsed.data, messageId } });
      }
    }
    const added = await queue.addBulk(jobs.map((j) => ({ name: 'email', data: j.data })));
    jobs.forEach((j, k) => (results[j.index] = { index: j.index, id: added[k]?.id, status: 'pending', messageId: j.messageId, duplicate: false }));
    return reply.code(200).send({ results });
  });
  count = () => queue.count();
  cleanup = async () => {
    try {
      await queue.obliterate({ force: true });
      await queue.close();
    } finally {
      await deleteKeys();
      forget();
    }
  };
} else {
  throw new Error(`unknown server kind "${kind}"`);
}

await serveParent(app, token, cleanup, { count: () => count().then((n) => ({ count: n })) });
