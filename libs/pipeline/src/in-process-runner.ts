import { JOB_NAMES, jobIdOf, type JobName, type JobPayload } from '@shortlist/queue';
import { coerceError } from '@shortlist/config';
import type { PipelineDependencies } from './dependencies';
import { PermanentFailure } from './outcome';
import { STAGE_HANDLERS, type StageHandler } from './stage-handlers';

/** Transient errors (a busy file system, say) are retried a few times before the job counts as failed. */
const ATTEMPTS = 3;

export interface StageProgress {
  name: JobName;
  /** Jobs handed to this stage so far, and how many of them are finished (done, skipped or failed). */
  total: number;
  finished: number;
}

/**
 * The in-process transport over the same stage handlers the BullMQ worker runs (the embedded mode: one process,
 * no Redis). Jobs wait in memory, de-duplicated by job id like BullMQ's; each stage runs up to its concurrency
 * (many embed jobs at once share inference batches). Durability comes from the database, not from here: after
 * a crash or Ctrl-C, the caller re-enqueues what the documents' statuses say is unfinished.
 */
export class InProcessRunner {
  private readonly waiting = new Map<JobName, Map<string, JobPayload<JobName>>>();
  private readonly running = new Map<JobName, number>();
  private readonly progress = new Map<JobName, StageProgress>();
  private readonly seen = new Set<string>();
  private readonly errors: { name: JobName; id: string; error: Error }[] = [];
  private idle: (() => void) | undefined;
  private stopped = false;
  readonly deps: PipelineDependencies;

  constructor(
    deps: Omit<PipelineDependencies, 'enqueue'>,
    private readonly concurrency: Partial<Record<JobName, number>>,
    private readonly onProgress: (progress: StageProgress) => void = () => undefined,
  ) {
    this.deps = { ...deps, enqueue: (name, payload) => this.enqueue(name, payload) };
    for (const name of JOB_NAMES) {
      this.waiting.set(name, new Map());
      this.running.set(name, 0);
      this.progress.set(name, { name, total: 0, finished: 0 });
    }
  }

  enqueue<N extends JobName>(name: N, payload: JobPayload<N>): Promise<void> {
    const id = jobIdOf(name, payload);
    const key = `${name}:${id}`;
    if (this.stopped || this.waiting.get(name)!.has(id) || this.seen.has(key)) return Promise.resolve();
    this.seen.add(key);
    this.waiting.get(name)!.set(id, payload);
    const progress = this.progress.get(name)!;
    progress.total++;
    this.onProgress({ ...progress });
    this.pump();
    return Promise.resolve();
  }

  /** Resolves when no job is waiting or running (or, after stop(), when the running ones have finished). */
  async drain(): Promise<{ name: JobName; id: string; error: Error }[]> {
    if (!this.busy()) return this.errors;
    await new Promise<void>((resolve) => (this.idle = resolve));
    return this.errors;
  }

  /** Takes no new job; the running ones finish (their writes are whole: each handler's writes are atomic). */
  stop(): void {
    this.stopped = true;
    for (const queue of this.waiting.values()) queue.clear();
    if (!this.busy()) this.idle?.();
  }

  private busy(): boolean {
    return (
      [...this.waiting.values()].some((q) => q.size > 0) || [...this.running.values()].some((n) => n > 0)
    );
  }

  private pump(): void {
    for (const name of JOB_NAMES) {
      const queue = this.waiting.get(name)!;
      while (queue.size > 0 && this.running.get(name)! < (this.concurrency[name] ?? 1)) {
        const [id, payload] = queue.entries().next().value as [string, JobPayload<JobName>];
        queue.delete(id);
        this.running.set(name, this.running.get(name)! + 1);
        void this.run(name, id, payload);
      }
    }
    if (!this.busy()) this.idle?.();
  }

  private async run(name: JobName, id: string, payload: JobPayload<JobName>): Promise<void> {
    const handler = STAGE_HANDLERS[name] as StageHandler<JobName>;
    // Deferrals (a rank waiting for vectors) are not attempts: only failures count towards ATTEMPTS.
    for (let failures = 0; ;) {
      try {
        const outcome = await handler(payload, this.deps);
        if (outcome.outcome !== 'deferred' || this.stopped) break;
        await new Promise((r) => setTimeout(r, outcome.retryInMs));
      } catch (error) {
        if (error instanceof PermanentFailure) break; // the document or run is marked failed with its reason
        if (++failures >= ATTEMPTS || this.stopped) {
          this.errors.push({ name, id, error: coerceError(error) });
          break;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** failures));
      }
    }
    this.running.set(name, this.running.get(name)! - 1);
    const progress = this.progress.get(name)!;
    progress.finished++;
    this.onProgress({ ...progress });
    this.pump();
  }
}
