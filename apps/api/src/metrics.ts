import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DocumentRepository, type Database } from '@shortlist/db';
import type { JobQueues } from '@shortlist/queue';

const THROUGHPUT_WINDOW_SECONDS = 60;

/**
 * One load shared by the gauges of a scrape: prom-client collects every metric at once, so gauges that read
 * the same source await the same promise instead of asking Redis or PostgreSQL once each.
 */
function perScrape<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= load().finally(() => {
      pending = undefined;
    }));
}

/**
 * Prometheus metrics of the API, served apart from the public port (see serveMetrics): HTTP requests; queue depths by state (waiting + prioritized + active is the backlog an
 * autoscaler should follow); documents by status; embedding throughput over the last minute, cluster-wide, from
 * the database. Gauges are read when scraped.
 */
export function installMetrics(app: FastifyInstance, db: Database, queues: JobQueues): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shortlist_api_' });
  const documents = new DocumentRepository(db);
  const depths = perScrape(() => queues.depths());
  const recent = perScrape(() => documents.readyInLast(THROUGHPUT_WINDOW_SECONDS));

  const requests = new Histogram({
    name: 'shortlist_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'shortlist_queue_jobs',
    help: 'Jobs per queue and state.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const depth of await depths()) {
        for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const) {
          this.set({ queue: depth.queue, state }, depth[state]);
        }
      }
    },
  });
  new Gauge({
    name: 'shortlist_queue_backlog',
    help: 'Work left per queue: waiting + prioritized + active (what autoscaling follows).',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const d of await depths()) this.set({ queue: d.queue }, d.waiting + d.prioritized + d.active);
    },
  });
  new Gauge({
    name: 'shortlist_documents',
    help: 'Documents by status, all tenants.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      for (const [status, count] of Object.entries(await documents.countByStatus()))
        this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'shortlist_embedding_tokens_per_second',
    help: `Tokens of documents that became ready over the last ${THROUGHPUT_WINDOW_SECONDS} s, per second.`,
    registers: [registry],
    async collect() {
      this.set((await recent()).tokens / THROUGHPUT_WINDOW_SECONDS);
    },
  });
  new Gauge({
    name: 'shortlist_embedding_documents_per_second',
    help: `Documents that became ready over the last ${THROUGHPUT_WINDOW_SECONDS} s, per second.`,
    registers: [registry],
    async collect() {
      this.set((await recent()).documents / THROUGHPUT_WINDOW_SECONDS);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    requests.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  return registry;
}

/**
 * /metrics on a port of its own (METRICS_PORT), never on the public one: it shows every tenant's counts, so it is
 * for the scraper's network only. Listens when the API does and closes with it.
 */
export function serveMetrics(app: FastifyInstance, registry: Registry, port: number, host: string): void {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) =>
        response
          .writeHead(503, { 'content-type': 'text/plain' })
          .end(`metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  app.decorate('metricsServer', server);
  app.addHook(
    'onListen',
    () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
  );
  app.addHook('onClose', () => new Promise<void>((resolve) => server.close(() => resolve())));
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The /metrics listener (METRICS_PORT), when the API serves one. */
    metricsServer?: Server;
  }
}
