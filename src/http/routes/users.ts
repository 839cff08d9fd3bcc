// The user directory over HTTP: a host application keeps its users' addresses and e-mail
// software here; administrators read and edit them.
import { z } from 'zod';
import { userIdSchema, userInputSchema } from '../../users/index.js';
import type { Api } from '../api.js';
import { named } from '../replies.js';

const userReply = named(
  'User',
  z.object({ id: z.string(), email: z.string(), name: z.string(), emailSoftware: z.enum(['server', 'outlook-new']), createdAt: z.string(), updatedAt: z.string() }),
);

export function userRoutes(api: Api): void {
  const { postroom } = api;

  api.route({
    method: 'PUT',
    path: '/users/:id',
    tag: 'users',
    summary: 'Create or update a user: address, name, e-mail software (server | outlook-new)',
    access: 'admin-or-token',
    params: z.object({ id: userIdSchema }),
    body: userInputSchema,
    responses: { 201: { description: 'created', schema: userReply }, 200: { description: 'updated', schema: userReply }, 400: 'refused (field and reason)', 409: "the address is the postmaster's" },
    async handle({ params, body, reply }) {
      const { user, created } = await postroom.users.upsert(params.id, body);
      void reply.status(created ? 201 : 200);
      return user;
    },
  });

  api.route({
    method: 'GET',
    path: '/users',
    tag: 'users',
    summary: 'Every user, by address',
    access: 'admin',
    responses: { 200: { description: 'users', schema: z.array(userReply) } },
    handle: () => postroom.users.list(),
  });
}
