import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { queryRows, type DatabaseHandle } from '@shortlist/db';
import type { ObjectStore } from '@shortlist/storage';
import { healthRoutes, type ReadinessCheck } from './routes/health';

export interface ServerDependencies {
  database: DatabaseHandle;
  redis: Redis;
  store: ObjectStore;
}

export interface ServerOptions extends ServerDependencies {
  logLevel: string;
}

/** What /readyz asks: each service the API cannot serve requests without. */
export function readinessChecks({ database, redis, store }: ServerDependencies): ReadinessCheck[] {
  return [
    { name: 'postgres', check: () => queryRows(database.db, sql`SELECT 1`) },
    { name: 'redis', check: () => (redis.status === 'wait' ? redis.connect() : redis.ping()) },
    { name: 's3', check: () => store.checkReachable() },
  ];
}

/** The HTTP API, built from its dependencies (so tests can start it on real services with port 0). */
export function buildServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({ logger: { level: options.logLevel } });
  healthRoutes(app, readinessChecks(options));
  return app;
}
