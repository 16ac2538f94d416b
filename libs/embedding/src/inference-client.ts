import { listSupportedBackends } from 'onnxruntime-node';
import type { Worker } from 'node:worker_threads';
import { ModelLoadError, ProviderUnavailableError } from './errors';
import type { LoadedModelInfo, Provider, RunRequest, RunResult, ThreadInit } from './inference-protocol';
import type { Role } from './models-dir';
import { ServiceThread } from './service-thread';

const PROVIDER_HINTS: Record<string, string> = {
  cuda: 'install ONNX Runtime CUDA 12 binaries and cuDNN 9 beside onnxruntime-node (README: GPU), or set EMBED_PROVIDER=cpu',
  webgpu: 'needs a GPU with Vulkan drivers (libvulkan); set EMBED_PROVIDER=cpu otherwise',
};

type InferenceThread = ServiceThread<ThreadInit, LoadedModelInfo[], RunRequest, RunResult>;

/**
 * The models each inference thread holds. On CPU a thread per model (side by side). On a GPU one thread holds both:
 * ONNX Runtime's WebGPU context is one per process, and sessions running in two threads at once fail
 * ("compute_pipeline.has_value() was false") or crash the process (seen with ONNX Runtime 1.30 on Mesa's Vulkan);
 * the GPU runs one model at a time anyway.
 */
export function threadGroups<T>(provider: Provider, models: T[]): T[][] {
  return provider === 'cpu' ? models.map((model) => [model]) : [models];
}

export interface InferenceClientOptions extends Omit<ThreadInit, 'models'> {
  models: ThreadInit['models'];
  /**
   * A batch whose attention costs at most this (rows x padded length²) runs through both models at once, each on
   * its own thread; a costlier one runs through one model after the other, so that only one model's attention
   * tensors are alive at a time (the memory bound of a long pass is one model's).
   */
  sideBySideAttention: number;
}

/**
 * Runs batches on the inference threads, one per model on CPU: both models of a batch run side by side (measured on
 * 2 cores: 1.5x the throughput of both models on one thread with 2 intra-op threads, whose spinning and
 * per-operator barriers waste CPU under load), except batches whose attention is large. A thread that dies
 * (crash, out-of-memory kill) is replaced and the batches it held are sent again (ServiceThread).
 */
export class InferenceClient {
  /** Batches run through both models at once, and one model after the other (threads of their own: CPU). */
  readonly scheduling = { sideBySide: 0, oneAfterAnother: 0 };

  private constructor(
    private readonly threads: InferenceThread[],
    private readonly sideBySideAttention: number,
  ) {}

  static async start(options: InferenceClientOptions): Promise<InferenceClient> {
    const supported: string[] = listSupportedBackends().map((b) => b.name);
    if (!supported.includes(options.provider)) {
      throw new ProviderUnavailableError(
        `EMBED_PROVIDER=${options.provider} is not available in this onnxruntime-node build (it has ${supported.join(', ')})`,
      );
    }
    const { sideBySideAttention, models, ...init } = options;
    const started = await Promise.allSettled(
      threadGroups(options.provider, models).map((group) =>
        ServiceThread.start<ThreadInit, LoadedModelInfo[], RunRequest, RunResult>({
          script: 'inference-thread',
          name: `inference (${group.map((m) => m.role).join(', ')})`,
          init: { ...init, models: group },
          initError: (kind, message) => {
            if (kind === 'model') return new ModelLoadError(message);
            const hint = PROVIDER_HINTS[init.provider];
            return new ProviderUnavailableError(
              `EMBED_PROVIDER=${init.provider} cannot start: ${message.split('\n')[0]}${hint ? ` (${hint})` : ''}`,
            );
          },
        }),
      ),
    );
    const threads = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(threads.map((t) => t.close()));
      throw failed.reason;
    }
    return new InferenceClient(threads, sideBySideAttention);
  }

  /** What the threads found in each model: input and output names, output kind, vector dimension. */
  get models(): LoadedModelInfo[] {
    return this.threads.flatMap((t) => t.info);
  }

  /** Times an inference thread was replaced after dying. */
  get restarts(): number {
    return this.threads.reduce((sum, t) => sum + t.restarts, 0);
  }

  /** The live threads (one per model on CPU, one on a GPU), e.g. to watch their resources; they change after a restart. */
  get currentThreads(): Worker[] {
    return this.threads.map((t) => t.currentThread);
  }

  /** Pooled (not normalised) vectors of each row, per model. */
  async run(rows: number[][]): Promise<Record<Role, Float32Array[]>> {
    return this.runModels(rows, ['semantic', 'domain']) as Promise<Record<Role, Float32Array[]>>;
  }

  /** Pooled vectors of these models only. */
  async runModels(rows: number[][], roles: Role[]): Promise<Partial<Record<Role, Float32Array[]>>> {
    const lengths = rows.map((r) => r.length);
    const ids = Int32Array.from(rows.flat());
    const longest = Math.max(...lengths);
    const request = { ids, lengths, roles };
    // The threads holding the models asked for (on CPU one per model; on a GPU one holds both).
    const threads = this.threads.filter((t) => t.info.some((i) => roles.includes(i.role)));
    const results: RunResult[] = [];
    if (threads.length === 1) {
      results.push(await threads[0]!.request(request));
    } else if (rows.length * longest * longest <= this.sideBySideAttention) {
      this.scheduling.sideBySide += 1;
      results.push(...(await Promise.all(threads.map((t) => t.request(request)))));
    } else {
      this.scheduling.oneAfterAnother += 1;
      for (const thread of threads) results.push(await thread.request(request));
    }
    const merged = Object.assign({}, ...results) as RunResult;
    const byRole: Partial<Record<Role, Float32Array[]>> = {};
    for (const { role, dims } of this.models) {
      const flat = merged[role];
      if (flat) byRole[role] = rows.map((_, r) => flat.subarray(r * dims, (r + 1) * dims));
    }
    return byRole;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
