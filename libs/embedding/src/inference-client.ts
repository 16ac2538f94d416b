import { listSupportedBackends } from 'onnxruntime-node';
import { ModelLoadError, ProviderUnavailableError } from './errors';
import type { LoadedModelInfo, RunRequest, RunResult, ThreadInit } from './inference-protocol';
import type { Role } from './models-dir';
import { ServiceThread } from './service-thread';

const PROVIDER_HINTS: Record<string, string> = {
  cuda: 'install ONNX Runtime CUDA 12 binaries and cuDNN 9 beside onnxruntime-node (README: GPU), or set EMBED_PROVIDER=cpu',
  webgpu: 'needs a GPU with Vulkan drivers (libvulkan); set EMBED_PROVIDER=cpu otherwise',
};

/**
 * Runs batches on the inference thread. A thread that dies (crash, out-of-memory kill) is replaced and the
 * batches it held are sent again (ServiceThread).
 */
export class InferenceClient {
  private constructor(
    private readonly thread: ServiceThread<ThreadInit, LoadedModelInfo[], RunRequest, RunResult>,
  ) {}

  static async start(init: ThreadInit): Promise<InferenceClient> {
    const supported: string[] = listSupportedBackends().map((b) => b.name);
    if (!supported.includes(init.provider)) {
      throw new ProviderUnavailableError(
        `EMBED_PROVIDER=${init.provider} is not available in this onnxruntime-node build (it has ${supported.join(', ')})`,
      );
    }
    const thread = await ServiceThread.start<ThreadInit, LoadedModelInfo[], RunRequest, RunResult>({
      script: 'inference-thread',
      name: 'inference',
      init,
      initError: (kind, message) => {
        if (kind === 'model') return new ModelLoadError(message);
        const hint = PROVIDER_HINTS[init.provider];
        return new ProviderUnavailableError(
          `EMBED_PROVIDER=${init.provider} cannot start: ${message.split('\n')[0]}${hint ? ` (${hint})` : ''}`,
        );
      },
    });
    return new InferenceClient(thread);
  }

  /** What the thread found in each model: input and output names, output kind, vector dimension. */
  get models(): LoadedModelInfo[] {
    return this.thread.info;
  }

  /** Times the thread was replaced after dying. */
  get restarts(): number {
    return this.thread.restarts;
  }

  /** The live thread, e.g. to watch its resources; it changes after a restart. */
  get currentThread() {
    return this.thread.currentThread;
  }

  /** Pooled (not normalised) vectors of each row, per model. */
  async run(rows: number[][]): Promise<Record<Role, Float32Array[]>> {
    return this.runModels(rows, ['semantic', 'domain']) as Promise<Record<Role, Float32Array[]>>;
  }

  /** Pooled vectors of these models only. */
  async runModels(rows: number[][], roles: Role[]): Promise<Partial<Record<Role, Float32Array[]>>> {
    const lengths = rows.map((r) => r.length);
    const ids = Int32Array.from(rows.flat());
    const result = await this.thread.request({ ids, lengths, roles });
    const byRole: Partial<Record<Role, Float32Array[]>> = {};
    for (const { role, dims } of this.models) {
      const flat = result[role];
      if (flat) byRole[role] = rows.map((_, r) => flat.subarray(r * dims, (r + 1) * dims));
    }
    return byRole;
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
