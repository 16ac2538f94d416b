import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { listSupportedBackends } from 'onnxruntime-node';
import { ModelLoadError, ProviderUnavailableError } from './errors';
import type { Role } from './models-dir';
import type { RunRequest, ThreadInit, ThreadMessage } from './inference-protocol';

/** How often one batch is retried on a fresh thread after the thread died under it. */
const MAX_ATTEMPTS = 3;

interface Pending {
  request: RunRequest;
  attempts: number;
  /** The thread this batch was last sent to: sent once per thread. */
  sentTo?: Worker;
  resolve: (vectors: Record<Role, Float32Array[]>) => void;
  reject: (error: Error) => void;
}

/** The thread's script: the bundle's sibling file in dist/, or the TypeScript source (tests, through tsx). */
function spawnThread(init: ThreadInit): Worker {
  const bundled = join(__dirname, 'inference-thread.js');
  if (existsSync(bundled)) return new Worker(bundled, { workerData: { init } });
  const source = join(__dirname, 'inference-thread.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, {
    eval: true,
    workerData: { init },
  });
}

const PROVIDER_HINTS: Record<string, string> = {
  cuda: 'install ONNX Runtime CUDA 12 binaries and cuDNN 9 beside onnxruntime-node (README: GPU), or set EMBED_PROVIDER=cpu',
  webgpu: 'needs a GPU with Vulkan drivers (libvulkan); set EMBED_PROVIDER=cpu otherwise',
};

/**
 * Runs batches on the inference thread. A thread that dies (crash, out-of-memory kill) is replaced and the
 * batches it held are sent again, up to MAX_ATTEMPTS times each.
 */
export class InferenceClient {
  private thread!: Worker;
  private ready!: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  /** Times the thread was replaced after dying. */
  restarts = 0;
  /** What the thread found in each model: input and output names, vector dimension. */
  models: Extract<ThreadMessage, { type: 'ready' }>['models'] = [];

  private constructor(private readonly init: ThreadInit) {}

  static async start(init: ThreadInit): Promise<InferenceClient> {
    const supported: string[] = listSupportedBackends().map((b) => b.name);
    if (!supported.includes(init.provider)) {
      throw new ProviderUnavailableError(
        `EMBED_PROVIDER=${init.provider} is not available in this onnxruntime-node build (it has ${supported.join(', ')})`,
      );
    }
    const client = new InferenceClient(init);
    client.spawn();
    await client.ready;
    return client;
  }

  /** The live thread, e.g. to watch its resources; it changes after a restart. */
  get currentThread(): Worker {
    return this.thread;
  }

  private spawn(): void {
    const thread = spawnThread(this.init);
    this.thread = thread;
    let threadReady = false;
    this.ready = new Promise<void>((resolve, reject) => {
      thread.on('message', (message: ThreadMessage) => {
        switch (message.type) {
          case 'ready':
            threadReady = true;
            this.models = message.models;
            resolve();
            for (const p of this.pending.values()) this.post(p);
            break;
          case 'init-error': {
            const hint = PROVIDER_HINTS[this.init.provider];
            reject(
              message.kind === 'provider'
                ? new ProviderUnavailableError(
                    `EMBED_PROVIDER=${this.init.provider} cannot start: ${message.message.split('\n')[0]}${hint ? ` (${hint})` : ''}`,
                  )
                : new ModelLoadError(message.message),
            );
            break;
          }
          case 'result': {
            const p = this.pending.get(message.id);
            if (!p) break;
            this.pending.delete(message.id);
            const rows = p.request.lengths.length;
            const split = (flat: Float32Array) =>
              Array.from({ length: rows }, (_, r) => flat.subarray(r * message.dims, (r + 1) * message.dims));
            p.resolve(
              Object.fromEntries(
                Object.entries(message.vectors).map(([role, flat]) => [role, split(flat)]),
              ) as Record<Role, Float32Array[]>,
            );
            break;
          }
          case 'error': {
            const p = this.pending.get(message.id);
            if (!p) break;
            this.pending.delete(message.id);
            p.reject(new Error(`inference failed: ${message.message}`));
            break;
          }
        }
      });
      thread.on('error', () => undefined); // the exit handler below decides
      thread.on('exit', (code) => {
        if (this.closing || thread !== this.thread) return;
        if (!threadReady) {
          // It never loaded: restarting would fail the same way.
          const error = new ModelLoadError(
            `inference thread exited with code ${code} while loading the models`,
          );
          reject(error);
          for (const p of this.pending.values()) p.reject(error);
          this.pending.clear();
          return;
        }
        this.restartAfterCrash();
      });
    });
    // Nobody may be waiting on a restart's readiness; failures surface through the pending batches.
    this.ready.catch(() => undefined);
  }

  private restartAfterCrash(): void {
    for (const [id, p] of this.pending) {
      p.attempts += 1;
      if (p.attempts >= MAX_ATTEMPTS) {
        this.pending.delete(id);
        p.reject(new Error(`inference thread died ${p.attempts} times while running this batch`));
      }
    }
    this.restarts += 1;
    this.spawn();
  }

  private post(p: Pending): void {
    if (p.sentTo === this.thread) return;
    p.sentTo = this.thread;
    // A copy: the original must survive for a retry on a new thread.
    this.thread.postMessage({ ...p.request, ids: p.request.ids.slice() });
  }

  /** Mean-pooled (not normalised) vectors of each row, per model. */
  async run(rows: number[][]): Promise<Record<Role, Float32Array[]>> {
    const lengths = rows.map((r) => r.length);
    const ids = Int32Array.from(rows.flat());
    const request: RunRequest = { type: 'run', id: this.nextId++, ids, lengths };
    return new Promise((resolve, reject) => {
      const pending: Pending = { request, attempts: 0, resolve, reject };
      this.pending.set(request.id, pending);
      void this.ready.then(() => {
        if (this.pending.has(request.id)) this.post(pending);
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.pending.values()) p.reject(new Error('inference client closed'));
    this.pending.clear();
    await this.thread.terminate();
  }
}
