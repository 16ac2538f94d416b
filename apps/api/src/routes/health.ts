import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { coerceError } from '@shortlist/config';

/** A dependency the API needs to serve requests; `check` throws when it is not usable right now. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * What /readyz says of a failing check. The cause stays in the API's log: /readyz answers anyone, and a cause
 * names the service's host and port (S3_ENDPOINT, DATABASE_URL), which are never printed.
 */
const FAILING = 'failing (the cause is in the API log)';

async function probe(check: ReadinessCheck, log: FastifyBaseLogger): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check.check(), timeout]);
    return 'ok';
  } catch (error) {
    const e = coerceError(error);
    log.warn({ check: check.name, err: e.message || e.name }, 'readiness check failing');
    return FAILING;
  } finally {
    clearTimeout(timer);
  }
}

const statusSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
  required: ['status'],
} as const;

export function healthRoutes(app: FastifyInstance, checks: ReadinessCheck[]): void {
  // Liveness: the process answers. Never depends on other services, so a database outage restarts nothing.
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['operations'],
        response: { 200: { ...statusSchema, examples: [{ status: 'ok' }] } },
      },
    },
    () => ({ status: 'ok' }),
  );

  // Readiness: every dependency answers now (PostgreSQL, Redis, S3); 503 names the ones that do not.
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: PostgreSQL, Redis and S3 answer now',
        tags: ['operations'],
        response: {
          200: {
            ...statusSchema,
            examples: [{ status: 'ready', checks: { postgres: 'ok', redis: 'ok', s3: 'ok' } }],
          },
          503: {
            ...statusSchema,
            description: 'A service does not answer: its check says failing (the API log names the cause)',
            examples: [
              {
                status: 'not ready',
                checks: { postgres: 'ok', redis: FAILING, s3: 'ok' },
              },
            ],
          },
        },
      },
    },
    async (request, reply) => {
      const results = await Promise.all(
        checks.map(async (c) => [c.name, await probe(c, request.log)] as const),
      );
      const ready = results.every(([, result]) => result === 'ok');
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
    },
  );
}
