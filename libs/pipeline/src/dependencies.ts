import type { Database } from '@shortlist/db';
import type { ExtractLimits } from '@shortlist/extract';
import type { JobName, JobPayload } from '@shortlist/queue';
import type { ObjectStore } from '@shortlist/storage';
import type { WebhookDelivery } from './webhook-stage';

/** The embedding engine as the pipeline uses it (EmbeddingEngine satisfies it). */
export interface Embedder {
  embed(
    text: string,
    label?: string,
    options?: { tenant?: string },
  ): Promise<{
    tokens: number[];
    truncated: boolean;
    passes: number;
    semantic: Float32Array;
    domain: Float32Array;
  }>;
  /** Normalised semantic vectors of short texts, the semantic model alone (evidence); `embed` serves otherwise. */
  embedSemantic?(texts: string[], options?: { tenant?: string }): Promise<Float32Array[]>;
}

export type Enqueue = <N extends JobName>(name: N, payload: JobPayload<N>) => Promise<void>;

/** Everything a stage handler touches; the transports (BullMQ worker, in-process runner) provide it. */
export interface PipelineDependencies {
  db: Database;
  store: ObjectStore;
  /** Hands the next stage's job to the transport. */
  enqueue: Enqueue;
  extract: ExtractLimits & { maxDocumentBytes: number };
  /** Present in processes that embed: the engine and the database ids of the models it runs. */
  embedding?: { embedder: Embedder; modelIds: { semantic: string; domain: string } };
  /** How long a screening run waits for its documents' vectors before it completes with them listed as pending. */
  screening: { waitSeconds: number };
  /**
   * Aborted when the process stops without waiting for the jobs in hand (a drain past its deadline, a second
   * Ctrl-C): long work (a parser) is killed, and the job is left unfinished — never recorded as a failure.
   */
  shutdown?: AbortSignal;
  /** Present in processes that deliver webhooks (the worker). */
  webhooks?: WebhookDelivery;
}
