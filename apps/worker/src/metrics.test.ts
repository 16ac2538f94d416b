import type { BatchReport } from '@shortlist/embedding';
import { WorkerMetrics } from './metrics';

/** An engine the test drives: batches and thread restarts on demand. */
function fakeEngine() {
  const listeners: ((report: BatchReport) => void)[] = [];
  return {
    threadRestarts: 0,
    onBatch: (listener: (report: BatchReport) => void) => listeners.push(listener),
    batch: (report: BatchReport) => listeners.forEach((l) => l(report)),
  };
}

const sample = (text: string, name: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe('worker metrics of the embedding engine', () => {
  it('exports tokens/s, batch size, padding share per batch and inference-thread restarts', async () => {
    const metrics = new WorkerMetrics();
    const engine = fakeEngine();
    metrics.observe(engine);
    engine.batch({ rows: 4, paddedLength: 100, realTokens: 300, seconds: 0.5 });
    engine.batch({ rows: 1, paddedLength: 4096, realTokens: 4096, seconds: 8 });
    engine.threadRestarts = 2;
    const text = await metrics.registry.metrics();
    expect(sample(text, 'shortlist_worker_inference_tokens_total')).toBe(4396);
    expect(sample(text, 'shortlist_worker_inference_tokens_per_second')).toBeCloseTo(4396 / 60, 5);
    expect(sample(text, 'shortlist_worker_inference_batch_rows_count')).toBe(2);
    expect(sample(text, 'shortlist_worker_inference_batch_rows_sum')).toBe(5);
    // 25% of the first batch was padding, none of the second.
    expect(sample(text, 'shortlist_worker_inference_batch_padding_share_sum')).toBeCloseTo(0.25, 10);
    expect(text).toContain('shortlist_worker_inference_batch_padding_share_bucket{le="0"} 1');
    expect(sample(text, 'shortlist_worker_inference_batch_seconds_sum')).toBe(8.5);
    expect(sample(text, 'shortlist_worker_inference_thread_restarts_total')).toBe(2);
    engine.threadRestarts = 3;
    expect(sample(await metrics.registry.metrics(), 'shortlist_worker_inference_thread_restarts_total')).toBe(
      3,
    );
  });
});
