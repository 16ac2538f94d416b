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
 * /metrics (Prometheus): HTTP requests; queue depths by state (waiting + prioritized + active is the backlog an
 * autoscaler should follow); documents by status; embedding throughput over the last minute, cluster-wide, from
 * the database. Gauges are read when scraped.
 */
export function installMetrics(app: FastifyInstance, db: Database, queues: JobQueues): void {
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
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
