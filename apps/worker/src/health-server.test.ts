import type { Worker } from 'bullmq';
import type { JobQueues, QueueDepth } from '@shortlist/queue';
import { unhealthyReason, type HealthOptions } from './health-server';
import { WorkerMetrics } from './metrics';

function options(
  waiting: number,
  overrides: { running?: boolean; lastPickedAgoMs?: number; active?: number },
): HealthOptions {
  const metrics = new WorkerMetrics();
  const now = Date.now();
  if (overrides.lastPickedAgoMs !== undefined)
    metrics.lastPicked.set('embed', now - overrides.lastPickedAgoMs);
  if (overrides.active) metrics.active.set('embed', overrides.active);
  const worker = (name: string) =>
    ({ name, isRunning: () => overrides.running ?? true, isPaused: () => false }) as unknown as Worker;
  const depth = (queue: 'extract' | 'embed', w: number): QueueDepth => ({
    queue,
    waiting: w,
    prioritized: 0,
    active: 0,
    delayed: 0,
    failed: 0,
  });
  return {
    workers: [worker('extract'), worker('embed')],
    queues: {
      depths: () => Promise.resolve([depth('extract', 0), depth('embed', waiting)]),
    } as unknown as JobQueues,
    metrics,
    stuckAfterMs: 60_000,
    startedAt: now - 10 * 60_000,
  };
}

describe('worker health', () => {
  it('is healthy when idle with nothing waiting', async () => {
    expect(await unhealthyReason(options(0, { lastPickedAgoMs: 3_600_000 }))).toBeUndefined();
  });

  it('is healthy while it keeps taking work', async () => {
    expect(await unhealthyReason(options(500, { lastPickedAgoMs: 1_000 }))).toBeUndefined();
  });

  it('is healthy while a long job runs, even with work waiting', async () => {
    expect(await unhealthyReason(options(500, { lastPickedAgoMs: 120_000, active: 1 }))).toBeUndefined();
  });

  it('turns unhealthy when work waits and it has stopped consuming', async () => {
    expect(await unhealthyReason(options(500, { lastPickedAgoMs: 120_000 }))).toBe(
      'embed: 500 jobs waiting, none picked for 120 s',
    );
  });

  it('turns unhealthy when a stage worker is not running', async () => {
    expect(await unhealthyReason(options(0, { running: false }))).toBe('extract worker is not running');
  });
});
