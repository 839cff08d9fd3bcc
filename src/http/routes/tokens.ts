// API tokens for host applications, managed by administrators: made (shown once), listed, revoked.
import { z } from 'zod';
import type { Api } from '../api.js';
import { notFound } from '../errors.js';
import { named } from '../replies.js';
import { decimal } from '../decimal.js';

const tokenInfoReply = named(
  'TokenInfo',
  z.object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  }),
);

export function tokenRoutes(api: Api): void {
  const { postroom } = api;

  api.route({
    method: 'POST',
    path: '/tokens',
    tag: 'tokens',
    summary: 'Make an API token for a host application; the token is shown in this answer only',
    access: 'admin',
    body: z.object({ name: z.string() }).strict(),
    responses: { 201: { description: 'the token (keep it: it is not shown again)', schema: named('CreatedToken', tokenInfoReply.extend({ token: z.string() })) } },
    async handle({ body, caller, reply }) {
      void reply.status(201);
      return postroom.tokens.create(body.name, caller?.kind === 'admin' ? `admin:${caller.username}` : 'admin');
    },
  });

  api.route({
    method: 'GET',
    path: '/tokens',
    tag: 'tokens',
    summary: 'The API tokens (never their value)',
    access: 'admin',
    responses: { 200: { description: 'tokens', schema: z.array(tokenInfoReply) } },
    handle: () => postroom.tokens.list(),
  });

  api.route({
    method: 'DELETE',
    path: '/tokens/:id',
    tag: 'tokens',
    summary: 'Revoke an API token: it stops working at once',
    access: 'admin',
    params: z.object({ id: decimal(z.number().int().positive()) }),
    responses: { 200: { description: 'revoked', schema: z.object({ revoked: z.number().int() }) }, 404: 'no such active token' },
    async handle({ params }) {
      if (!(await postroom.tokens.revoke(params.id))) throw notFound(`no active token ${params.id}`);
      return { revoked: params.id };
    },
  });
}
