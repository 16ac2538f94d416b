import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_NAMES, jobIdOf, jobOptionsOf, type JobName, type JobPayload } from './jobs';

export interface QueueDepth {
  queue: JobName;
  waiting: number;
  prioritized: number;
  active: number;
  delayed: number;
  failed: number;
}

/** The producer side of every stage queue. */
export class JobQueues {
  private readonly queues: Map<JobName, Queue>;

  constructor(connection: Redis, prefix: string) {
    this.queues = new Map(JOB_NAMES.map((name) => [name, new Queue(name, { connection, prefix })]));
  }

  queue(name: JobName): Queue {
    return this.queues.get(name)!;
  }

  /**
   * Adds the job unless one with its id is waiting, delayed or running, or is a night's report already done (then
   * this is a no-op). A failed job with
   * the id (kept a week for inspection) is removed first: BullMQ would otherwise ignore the add, and a retry or
   * the sweeper's re-enqueue of that document would do nothing.
   */
  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void> {
    const queue = this.queue(name);
    const jobId = jobIdOf(name, payload);
    if ((await queue.getJobState(jobId)) === 'failed') await queue.remove(jobId);
    await queue.add(name, payload, { ...jobOptionsOf(name, payload), jobId });
  }

  async enqueueMany<N extends JobName>(name: N, payloads: JobPayload<N>[]): Promise<void> {
    for (let i = 0; i < payloads.length; i += 1000) {
      await this.queue(name).addBulk(
        payloads.slice(i, i + 1000).map((payload) => ({
          name,
          data: payload,
          opts: { ...jobOptionsOf(name, payload), jobId: jobIdOf(name, payload) },
        })),
      );
    }
  }

  /** Backlog per queue, for /metrics and autoscaling (waiting + prioritized + active is the work left). */
  async depths(): Promise<QueueDepth[]> {
    return Promise.all(
      JOB_NAMES.map(async (name) => {
        const counts = await this.queue(name).getJobCounts(
          'waiting',
          'prioritized',
          'active',
          'delayed',
          'failed',
        );
        return {
          queue: name,
          waiting: counts.waiting ?? 0,
          prioritized: counts.prioritized ?? 0,
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
        };
      }),
    );
  }

  /**
   * Removes a document's pending jobs (erasure). Best effort: a job left behind (an active one, locked by its
   * worker, or any when Redis does not answer) finds the document gone and skips, so erasure never waits on it.
   */
  async removeDocumentJobs(documentId: string): Promise<void> {
    await Promise.all(
      JOB_NAMES.map((name) =>
        this.queue(name)
          .remove(documentId)
          .catch(() => 0),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
