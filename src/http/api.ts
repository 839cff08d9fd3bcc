// Declares each API route once — method, path, who may call it, zod schemas — and from that
// both registers it with Fastify and describes it in the OpenAPI document.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Postroom } from '../app.js';
import { authorize, type Access, type Caller } from './caller.js';
import { fromZod } from './errors.js';
import { HandOverLimits } from './limits.js';

type Schema = z.ZodType | undefined;
type Infer<T extends Schema> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteDef<B extends Schema, Q extends Schema, P extends Schema> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below /api/v1, Fastify style: /emails/:id */
  path: string;
  tag: string;
  summary: string;
  access: Access;
  body?: B;
  query?: Q;
  params?: P;
  /** Bytes; the default is 1 MiB. */
  bodyLimit?: number;
  /** A hand-over: counted against the caller's rate and concurrency limits. */
  handOver?: boolean;
  responses: Record<number, string>;
  handle(input: { body: Infer<B>; query: Infer<Q>; params: Infer<P>; caller: Caller | null; req: FastifyRequest; reply: FastifyReply }): Promise<unknown>;
}

interface Documented {
  method: string;
  path: string;
  tag: string;
  summary: string;
  access: Access;
  body?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  params?: z.ZodType | undefined;
  responses: Record<number, string>;
}

export const API_PREFIX = '/api/v1';

/** Who called, found before the body is read (see route()). */
const callers = new WeakMap<FastifyRequest, Caller | null>();

export class Api {
  private readonly documented: Documented[] = [];

  constructor(
    private readonly app: FastifyInstance,
    readonly postroom: Postroom,
    private readonly limits: HandOverLimits = new HandOverLimits(),
  ) {}

  route<B extends Schema = undefined, Q extends Schema = undefined, P extends Schema = undefined>(def: RouteDef<B, Q, P>): void {
    this.documented.push(def);
    const parse = <T extends Schema>(schema: T, value: unknown, where: string): Infer<T> => {
      if (!schema) return undefined as Infer<T>;
      const r = schema.safeParse(value ?? {});
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
    const json = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
    for (const r of this.documented) {
      const path = API_PREFIX + r.path.replace(/:(\w+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
        if (!schema) continue;
        const js = json(schema) as { properties?: Record<string, unknown>; required?: string[] };
        for (const [name, s] of Object.entries(js.properties ?? {})) {
          parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
        }
      }
      (paths[path] ??= {})[r.method.toLowerCase()] = {
        tags: [r.tag],
        summary: r.summary,
        security: r.access === 'public' ? [] : r.access === 'admin' ? [{ session: [] }] : [{ session: [] }, { bearer: [] }],
        ...(parameters.length ? { parameters } : {}),
        ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(r.body) } } } } : {}),
        responses: Object.fromEntries(Object.entries(r.responses).map(([code, description]) => [code, { description }])),
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'Postroom API', version: '1', description: 'Hand e-mails over, follow them, and configure their sending.' },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'postroom_session', description: 'Administrator session; state-changing requests also need the x-csrf-token header.' },
          bearer: { type: 'http', scheme: 'bearer', description: 'API token of a host application (postroom token create NAME).' },
        },
      },
      paths,
    };
  }
}
