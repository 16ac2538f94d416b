import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import { JOB_NAMES, type JobQueues } from '@shortlist/queue';

const BASE = '/admin/queues';

/**
 * The BullMQ dashboard at /admin/queues, behind HTTP basic auth with ADMIN_TOKEN as the password (any user
 * name): it can retry and delete jobs. Without ADMIN_TOKEN it is off.
 */
export async function adminRoutes(
  app: FastifyInstance,
  queues: JobQueues,
  adminToken: string | undefined,
): Promise<void> {
  if (!adminToken) {
    app.get(`${BASE}*`, { schema: { hide: true } }, (_request, reply) =>
      reply
        .code(404)
        .send({ error: 'not_found', message: 'the queue dashboard is off: set ADMIN_TOKEN to enable it' }),
    );
    return;
  }
  const expected = Buffer.from(adminToken);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BASE);
  createBullBoard({ queues: JOB_NAMES.map((name) => new BullMQAdapter(queues.queue(name))), serverAdapter });
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
        const password = match
          ? Buffer.from(match[1]!, 'base64').toString().split(':').slice(1).join(':')
          : '';
        const given = Buffer.from(password);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          return reply
            .code(401)
            .header('www-authenticate', 'Basic realm="shortlist admin"')
            .send({ error: 'unauthorized', message: 'the queue dashboard needs the ADMIN_TOKEN password' });
        }
      });
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: BASE },
  );
}
