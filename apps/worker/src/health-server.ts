import { createServer, type Server } from 'node:http';
import type { Worker } from 'bullmq';
import type { JobQueues } from '@shortlist/queue';
import { coerceError } from '@shortlist/config';
import type { WorkerMetrics } from './metrics';

export interface HealthOptions {
  workers: Worker[];
  queues: JobQueues;
  metrics: WorkerMetrics;
  /** Work waiting this long while this worker picks nothing up means it stopped consuming. */
  stuckAfterMs: number;
  startedAt: number;
}

/**
 * Why this worker is unhealthy, or undefined: a stage worker that is not running, or a queue with waiting jobs
 * that this worker has not picked from for `stuckAfterMs` while it has nothing active (it stopped consuming).
 */
export async function unhealthyReason(options: HealthOptions): Promise<string | undefined> {
  for (const worker of options.workers) {
    if (!worker.isRunning()) return `${worker.name} worker is not running`;
  }
  const depths = await options.queues.depths();
  for (const depth of depths) {
    const worker = options.workers.find((w) => w.name === depth.queue);
    const last = options.metrics.lastPicked.get(depth.queue) ?? options.startedAt;
    const idle = Date.now() - last;
    const active = options.metrics.active.get(depth.queue) ?? 0;
    if (
      depth.waiting + depth.prioritized > 0 &&
      idle > options.stuckAfterMs &&
      active === 0 &&
      !worker?.isPaused()
    ) {
      return `${depth.queue}: ${depth.waiting + depth.prioritized} jobs waiting, none picked for ${Math.round(idle / 1000)} s`;
    }
  }
  return undefined;
}

/** /healthz (200, or 503 naming the reason) and /metrics (Prometheus) for probes and scrapers. */
export function startHealthServer(port: number, host: string, options: HealthOptions): Promise<Server> {
  const server = createServer((request, response) => {
    const reply = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (request.url === '/healthz') {
      unhealthyReason(options).then(
        (reason) =>
          reply(
            reason ? 503 : 200,
            'application/json',
            JSON.stringify(reason ? { status: 'unhealthy', reason } : { status: 'ok' }),
          ),
        (error: unknown) =>
          reply(
            503,
            'application/json',
            JSON.stringify({ status: 'unhealthy', reason: `redis: ${coerceError(error).message}` }),
          ),
      );
    } else if (request.url === '/metrics') {
      options.metrics.registry.metrics().then(
        (text) => reply(200, options.metrics.registry.contentType, text),
        (error: unknown) => reply(500, 'text/plain', coerceError(error).message),
      );
    } else {
      reply(404, 'application/json', JSON.stringify({ error: 'not_found' }));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
