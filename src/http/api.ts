// Declares each API route once — method, path, who may call it, zod schemas — and from that
// both registers it with Fastify and describes it in the OpenAPI document.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Postroom } from '../app.js';
import { authorize, type Access, type Caller } from './caller.js';
import { fromZod } from './errors.js';
import { errorReply, namedReplies } from './replies.js';
import { describeDecimal } from './decimal.js';
import { HandOverLimits } from './limits.js';

type Schema = z.ZodType | undefined;

/** A documented answer: what it means and, for a success, the shape of its JSON body. */
export interface Reply {
  description: string;
  schema: z.ZodType;
}
/** An error status is a description: its body is always the Error shape. */
export type Responses = Record<number, string | Reply>;
type Infer<T extends Schema> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteDef<B extends Schema, Q extends Schema, P extends Schema> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below /api/v1, Fastify style: /emails/:id */
  path: string;
  tag: string;
  summary: string;
  access: Access;
  body?: B;
  /** What the document says the body is, when the route reads it more loosely (a batch answers each bad item itself). */
  documentedBody?: z.ZodType;
  query?: Q;
  params?: P;
  /** Bytes; the default is 1 MiB. */
  bodyLimit?: number;
  /** A hand-over: counted against the caller's rate and concurrency limits. */
  handOver?: boolean;
  responses: Responses;
  handle(input: { body: Infer<B>; query: Infer<Q>; params: Infer<P>; caller: Caller | null; req: FastifyRequest; reply: FastifyReply }): Promise<unknown>;
}

interface Documented {
  method: string;
  path: string;
  tag: string;
  summary: string;
  access: Access;
  body?: z.ZodType | undefined;
  documentedBody?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  params?: z.ZodType | undefined;
  responses: Responses;
}

export const API_PREFIX = '/api/v1';

/** A request's zod schema as JSON Schema: what the OpenAPI document says a body or query must be. */
export const requestJsonSchema = (schema: z.ZodType): Record<string, unknown> =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', override: (ctx) => describeDecimal(ctx as unknown as Parameters<typeof describeDecimal>[0]) });

/** Who called, found before the body is read (see route()). */
const callers = new WeakMap<FastifyRequest, Caller | null>();

export class Api {
  private readonly documented: Documented[] = [];

  constructor(
    private readonly app: FastifyInstance,
    readonly postroom: Postroom,
    private readonly limits: HandOverLimits = new HandOverLimits(),
  ) {}

  /**
   * A request that hands over `count` e-mails counts them all against its token's rate (the
   * request itself counted one when it came in); throws 429 when that goes over.
   */
  countHandOvers(caller: Caller | null, count: number): void {
    if (caller?.kind === 'token' && count > 1) this.limits.count(`token:${caller.token.id}`, count - 1);
  }

  route<B extends Schema = undefined, Q extends Schema = undefined, P extends Schema = undefined>(def: RouteDef<B, Q, P>): void {
    this.documented.push(def);
    const parse = <T extends Schema>(schema: T, value: unknown, where: string): Infer<T> => {
      if (!schema) return undefined as Infer<T>;
      // No body at all reads as an empty object; a JSON null is a body, and not an object.
      const r = schema.safeParse(value === undefined ? {} : value);
      if (!r.success) throw fromZod(where, r.error);
      return r.data as Infer<T>;
    };
    this.app.route({
      method: def.method,
      url: API_PREFIX + def.path,
      bodyLimit: def.bodyLimit ?? 1024 * 1024,
      // onRequest runs before Fastify reads the body: a caller without credentials, or over its
      // limits, is answered at once instead of after tens of megabytes have been buffered.
      onRequest: async (req, reply) => {
        const caller = await authorize(this.postroom, req, def.access);
        callers.set(req, caller);
        if (def.handOver && caller?.kind === 'token') {
          const release = this.limits.acquire(`token:${caller.token.id}`);
          reply.raw.once('close', release);
        }
        if (def.handOver) {
          // Before the body is read: the memory it would take is what is bounded.
          const declared = Number(req.headers['content-length']);
          const release = this.limits.reserve(Number.isFinite(declared) && declared >= 0 ? declared : (def.bodyLimit ?? 1024 * 1024));
          reply.raw.once('close', release);
        }
      },
      handler: async (req, reply) => {
        const caller = callers.get(req) ?? null;
        const params = parse(def.params as P, req.params, '(path)');
        const query = parse(def.query as Q, req.query, '(query)');
        const body = parse(def.body as B, req.body, '(body)');
        const result = await def.handle({ body, query, params, caller, req, reply });
        if (!reply.sent) return reply.send(result ?? null);
        return reply;
      },
    });
  }

  openapi(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    // Answers go into components/schemas: the named shapes under their names, a route's own
    // shape under a name made from the route (GetEmails200), so generated types have names.
    const replies = z.registry<{ id: string }>();
    for (const [s, id] of namedReplies) replies.add(s, { id });
    const refTo = (s: z.ZodType, fallback: string) => {
      if (!replies.has(s)) replies.add(s, { id: fallback });
      return { $ref: `#/components/schemas/${replies.get(s)?.id}` };
    };
    // The answers every route of its kind may give, unless the route says more precisely.
    const usual = (r: Documented): Responses => {
      const out: Responses = {};
      // A route without a body still parses one sent as JSON: a malformed one is refused, as is a foreign type.
      const carriesBody = r.method !== 'GET';
      if (r.body || r.query || r.params || carriesBody) out[400] = 'refused input (field and reason given); nothing stored';
      if (r.access !== 'public') out[401] = 'no session or bearer token';
      if (r.access === 'admin') out[403] = 'an API token on an administrator route, or a missing CSRF token or foreign Origin';
      if (r.access === 'admin-or-token') out[403] = 'a missing CSRF token or foreign Origin';
      if (carriesBody) {
        out[408] = 'request_timeout: the body did not arrive in full within the time allowed';
        out[413] = "body over the route's size limit";
        out[415] = 'unsupported_media_type: a body that is not application/json';
      }
      // Every route reads or writes the database: while it cannot be reached, or is full, nothing is done.
      out[503] = 'database_unavailable: the database cannot be reached or keeps failing (Retry-After)';
      if (r.method !== 'GET') out[507] = 'storage_full: the database or its disk is full; nothing stored (Retry-After)';
      return out;
    };
    const responsesOf = (r: Documented) =>
      Object.fromEntries(
        Object.entries({ ...usual(r), ...r.responses }).map(([code, reply]) => {
          const description = typeof reply === 'string' ? reply : reply.description;
          const schema = typeof reply === 'string' ? (Number(code) >= 400 ? errorReply : null) : reply.schema;
          const content = schema ? { content: { 'application/json': { schema: refTo(schema, operationName(r) + code) } } } : {};
          return [code, { description, ...content }];
        }),
      );
    for (const r of this.documented) {
      const path = API_PREFIX + r.path.replace(/:(\w+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
        if (!schema) continue;
        const js = requestJsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
        for (const [name, s] of Object.entries(js.properties ?? {})) {
          parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
        }
      }
      (paths[path] ??= {})[r.method.toLowerCase()] = {
        tags: [r.tag],
        summary: r.summary,
        security: r.access === 'public' ? [] : r.access === 'admin' ? [{ session: [] }] : [{ session: [] }, { bearer: [] }],
        ...(parameters.length ? { parameters } : {}),
        // A body whose every field is optional may be left out (it reads as {}).
        ...(r.body ? { requestBody: { required: !r.body.safeParse({}).success, content: { 'application/json': { schema: requestJsonSchema(r.documentedBody ?? r.body) } } } } : {}),
        responses: responsesOf(r),
      };
    }
    const { schemas } = z.toJSONSchema(replies, { io: 'output', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
    for (const s of Object.values(schemas)) {
      delete s.$schema;
      delete s.$id;
    }
    return {
      openapi: '3.1.0',
      info: { title: 'Postroom API', version: '1', description: 'Hand e-mails over, follow them, and configure their sending.' },
      servers: [{ url: '/' }],
      components: {
        schemas,
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'postroom_session', description: 'Administrator session; state-changing requests also need the x-csrf-token header.' },
          bearer: { type: 'http', scheme: 'bearer', description: 'API token of a host application (postroom token create NAME).' },
        },
      },
      paths,
    };
  }
}

/** GET /emails/:id → GetEmailsId: the name of a route's own answer shape. */
function operationName(r: { method: string; path: string }): string {
  const words = r.path.split(/[/:_-]+/).filter(Boolean);
  return [r.method.toLowerCase(), ...words].map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
}
