import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '@shortlist/config';
import { checkDatabase, type DatabaseHandle } from '@shortlist/db';
import { JobQueues } from '@shortlist/queue';
import type { ObjectStore } from '@shortlist/storage';
import { EgressPolicy } from '@shortlist/webhooks';
import { installAuth } from './auth';
import { DocumentIntake } from './document-intake';
import { installErrorHandler } from './http-error';
import { installMetrics, serveMetrics } from './metrics';
import { adminRoutes } from './routes/admin';
import { documentRoutes } from './routes/documents';
import { domainSetRoutes } from './routes/domain-sets';
import { healthRoutes, type ReadinessCheck } from './routes/health';
import { screeningRoutes } from './routes/screenings';
import { webhookRoutes } from './routes/webhooks';

interface ServerDependencies {
  database: DatabaseHandle;
  redis: Redis;
  store: ObjectStore;
}

export interface ServerOptions extends ServerDependencies {
  logLevel: string;
  redisPrefix: string;
  ingest: Config['ingest'];
  adminToken?: string | undefined;
  /** WEBHOOK_ALLOWLIST: where endpoints may be registered (empty: public addresses only). */
  webhookAllowlist?: string[];
  /** Serve /metrics on this port (0: any free one), apart from the public port; unset: no /metrics. */
  metrics?: { port: number; host: string } | undefined;
}

/** What /readyz asks: each service the API cannot serve requests without. */
function readinessChecks({ database, redis, store }: ServerDependencies): ReadinessCheck[] {
  return [
    { name: 'postgres', check: () => checkDatabase(database.db) },
    { name: 'redis', check: () => (redis.status === 'wait' ? redis.connect() : redis.ping()) },
    { name: 's3', check: () => store.checkReachable() },
  ];
}

/** The HTTP API, built from its dependencies (so tests can start it on real services with port 0). */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel },
    // JSON batches of up to 10,000 documents; uploads stream through multipart and are capped per file.
    bodyLimit: 64 * 1024 * 1024,
  });
  const queues = new JobQueues(options.redis, options.redisPrefix);
  app.addHook('onClose', () => queues.close());

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Shortlist',
        version: '0.1.0',
        description: 'Screen resumes against job descriptions with sentence embeddings.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(multipart, {
    // One byte over our own cap, so the store's limiter refuses first, with a message naming the file.
    limits: { fileSize: options.ingest.maxDocumentBytes + 1, files: 1000, fields: 20, parts: 1100 },
  });
  installErrorHandler(app);
  installAuth(app, options.database.db);
  const registry = installMetrics(app, options.database.db, queues);
  if (options.metrics) serveMetrics(app, registry, options.metrics.port, options.metrics.host);
  healthRoutes(app, readinessChecks(options));
  const intake = new DocumentIntake(options.database.db, options.store, queues, options.ingest);
  documentRoutes(app, { db: options.database.db, store: options.store, queues, intake });
  screeningRoutes(app, { db: options.database.db, queues, intake });
  domainSetRoutes(app, { db: options.database.db, queues });
  webhookRoutes(app, { db: options.database.db, egress: new EgressPolicy(options.webhookAllowlist ?? []) });
  await adminRoutes(app, queues, options.adminToken);
  return app;
}
