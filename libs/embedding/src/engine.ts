import { EmptyDocumentError } from '@shortlist/config';
import { Batcher, SHORT_ROW, type BatchReport } from './batcher';
import { ModelLoadError } from './errors';
import { InferenceClient } from './inference-client';
import type { Provider } from './inference-protocol';
import { ROLES, loadManifest, locateModel, type ModelManifest, type Role } from './models-dir';
import { splitIntoPasses, type PassPolicy } from './passes';
import { combinePasses } from './pooling';
import { ServiceThread } from './service-thread';
import type { TokenizeRequest, TokenizeResult, TokenizerInfo, TokenizerInit } from './tokenizer-thread';

/**
 * Single-pass limit on CPU when none is configured: one 4,096-token pass peaks at ~2.1 GiB RSS in a fresh
 * process (8,192 tokens: 6.5 GiB, over a CPU worker's 4 GiB), and 4,096 tokens hold every resume and posting
 * of the sampled corpora in one pass (README: "How a document is embedded").
 */
const CPU_PASS_TOKENS = 4096;
/** Most tokens of a document embedded when none is configured: ~12,000 words, ~25 pages. */
export const MAX_DOCUMENT_TOKENS = 16_384;

export interface EngineOptions {
  modelsDir: string;
  provider?: Provider;
  /** Use the INT8 ONNX files of the model folders. */
  quantized?: boolean;
  /**
   * Run the pre-optimised copy of each model made by tools/fuse_model.py where one matches the model file: on CPU
   * `model_fused.onnx` (`model_quantized_fused.onnx` with `quantized`), on a GPU `model_fused_gpu.onnx` (fp16;
   * the CPU copy's blocked attention gives NaN on WebGPU). Without one, the model as is. Default: on CPU only. On
   * an H200 through WebGPU the first GPU copy ran 4.4x slower than the model as is (its Attention fell back to
   * the CPU); the copy made now runs every attention on the GPU, but is not yet measured there (README: GPU).
   */
  fused?: boolean;
  /**
   * ONNX Runtime intra-op threads of each model (0: ONNX Runtime decides, the physical cores). The two models run
   * side by side, each on its thread, with all the cores each: measured on 2 cores, as fast as one core each and
   * ~15% less CPU than both models one after the other on one thread; a long pass runs them one after the other.
   */
  threads?: number;
  /**
   * Most tokens embedded in one pass, specials included; a longer document is embedded in overlapping windows
   * of this size. Default: the models' context (8,192) on a GPU, CPU_PASS_TOKENS on CPU; capped at the context.
   */
  passTokens?: number;
  /** Tokens shared by consecutive windows of a document longer than one pass (default 256, at most a quarter). */
  passOverlap?: number;
  /** Most tokens of a document's text embedded (the first ones); the result says when the text had more. */
  maxDocumentTokens?: number;
  /** Most tokens (padding included) per inference batch. */
  batchTokens?: number;
  /** Longest a pass waits for others to share its batch while the model is idle. */
  maxWaitMs?: number;
}

export interface DocumentEmbedding {
  /** The embedded token ids, framed by the special tokens as one sequence (before any split into windows). */
  tokens: number[];
  /** The text had more than `maxDocumentTokens` tokens: only the first ones were embedded. */
  truncated: boolean;
  /** Model passes: 1, or the windows of a document longer than the single-pass limit. */
  passes: number;
  /** L2-normalised document vectors. */
  semantic: Float32Array;
  domain: Float32Array;
}

type TokenizerThread = ServiceThread<TokenizerInit, TokenizerInfo, TokenizeRequest, TokenizeResult>;

/**
 * Embeds documents with both models as their model card does — one pass, mean pooling — up to the single-pass
 * limit: tokenizes each once on a thread of its own (the models share a tokenizer), splits only what exceeds
 * the limit into overlapping windows, batches the passes of concurrent callers fairly within a memory budget
 * (Batcher), runs both models on an inference thread, and combines windows into one normalised vector per model.
 */
export class EmbeddingEngine {
  private constructor(
    readonly models: Record<Role, ModelManifest>,
    private readonly tokenizer: TokenizerThread,
    private readonly client: InferenceClient,
    private readonly batcher: Batcher<Record<Role, Float32Array>>,
    readonly passPolicy: PassPolicy,
    readonly maxDocumentTokens: number,
    /** Short texts through the semantic model alone (evidence passages): half the work of both models. */
    private readonly semanticBatcher: Batcher<Float32Array>,
  ) {}

  /**
   * One line per model that runs as it is although a fused copy lies beside it (stale, damaged, no sidecar), and
   * why: slower than it should be, so the worker logs them and `shortlist embed` prints them.
   */
  get fusedCopyWarnings(): string[] {
    return ROLES.flatMap((role) => {
      const ignored = this.models[role].fusedIgnored;
      return ignored ? [`the ${role} model runs unfused: ${ignored.reason}`] : [];
    });
  }

  static async open(options: EngineOptions): Promise<EmbeddingEngine> {
    const files = await Promise.all(
      ROLES.map((role) => locateModel(options.modelsDir, role, options.quantized)),
    );
    const provider = options.provider ?? 'cpu';
    const manifests = await Promise.all(
      files.map((f) => loadManifest(f, provider === 'cpu' ? 'cpu' : 'gpu')),
    );
    const [semantic, domain] = manifests as [ModelManifest, ModelManifest];
    if (semantic.tokenizerSha256 !== domain.tokenizerSha256) {
      throw new ModelLoadError(
        `${files[0]!.tokenizerPath} and ${files[1]!.tokenizerPath} differ: both models must share one tokenizer`,
      );
    }
    const context = Math.min(semantic.maxTokens, domain.maxTokens);
    const maxTokens = Math.min(
      options.passTokens ?? (provider === 'cpu' ? CPU_PASS_TOKENS : context),
      context,
    );
    const passPolicy = {
      maxTokens,
      overlap: Math.min(options.passOverlap ?? 256, Math.floor(maxTokens / 4)),
    };
    const tokenizer: TokenizerThread = await ServiceThread.start({
      script: 'tokenizer-thread',
      name: 'tokenizer',
      init: { tokenizerPath: files[0]!.tokenizerPath },
      initError: (_kind, message) => new ModelLoadError(message),
    });
    const batchTokens = options.batchTokens ?? 8192;
    const useFused = options.fused ?? provider === 'cpu';
    const onnxPath = (i: number) => (useFused ? manifests[i]!.fused?.file : undefined) ?? files[i]!.onnxPath;
    // Not asked for, a fused copy is neither used nor worth a warning.
    for (const manifest of useFused ? [] : manifests) {
      delete manifest.fused;
      delete manifest.fusedIgnored;
    }
    let client: InferenceClient;
    try {
      client = await InferenceClient.start({
        models: files.map((f, i) => ({
          role: f.role,
          onnxPath: onnxPath(i),
          quantized: options.quantized ?? false,
        })),
        provider,
        intraOpThreads: options.threads ?? 0,
        // Both models at once while a batch's attention is no more than a full batch of 512-token rows; a long
        // pass goes through one model after the other, so its peak memory is one model's (CPU_PASS_TOKENS).
        sideBySideAttention: SHORT_ROW * batchTokens,
      });
    } catch (error) {
      await tokenizer.close();
      throw error;
    }
    for (const found of client.models) {
      const manifest = found.role === 'semantic' ? semantic : domain;
      if (found.dims !== manifest.dims) {
        await Promise.all([client.close(), tokenizer.close()]);
        throw new ModelLoadError(
          `${manifest.onnxFile} produces ${found.dims}-D vectors, but its config.json says hidden_size ${manifest.dims}`,
        );
      }
      Object.assign(manifest, { inputNames: found.inputNames, outputName: found.outputName });
    }
    const batcher = new Batcher<Record<Role, Float32Array>>(
      {
        batchTokens,
        maxRowTokens: maxTokens,
        maxWaitMs: options.maxWaitMs ?? 5,
      },
      async (rows) => {
        const byModel = await client.run(rows);
        return rows.map((_, i) => ({ semantic: byModel.semantic[i]!, domain: byModel.domain[i]! }));
      },
    );
    const semanticBatcher = new Batcher<Float32Array>(
      {
        batchTokens: options.batchTokens ?? 8192,
        maxRowTokens: maxTokens,
        maxWaitMs: options.maxWaitMs ?? 5,
      },
      async (rows) => (await client.runModels(rows, ['semantic'])).semantic!,
    );
    return new EmbeddingEngine(
      { semantic, domain },
      tokenizer,
      client,
      batcher,
      passPolicy,
      options.maxDocumentTokens ?? MAX_DOCUMENT_TOKENS,
      semanticBatcher,
    );
  }

  /** Tokens computed per real token so far (1.0 = no padding). */
  get paddingRatio(): number {
    return this.batcher.paddingRatio;
  }

  /** Calls `listener` after every inference batch (rows, padded length, real tokens, seconds). */
  onBatch(listener: (report: BatchReport) => void): void {
    this.batcher.onBatch(listener);
  }

  /** Times the inference thread was replaced after dying. */
  get threadRestarts(): number {
    return this.client.restarts;
  }

  /**
   * Batches that ran through both models at once, and through one after the other (a long pass), on CPU; on a GPU
   * one thread runs both models of every batch in turn, counted in neither.
   */
  get roleScheduling(): { sideBySide: number; oneAfterAnother: number } {
    return { ...this.client.scheduling };
  }

  /** The inference threads now running, one per model on CPU, one on a GPU (observability; they change after a restart). */
  get inferenceThreads() {
    return this.client.currentThreads;
  }

  /** A text's content tokens (no special tokens), up to `maxDocumentTokens`, tokenized off the main thread. */
  async tokenize(text: string): Promise<{ ids: number[]; truncated: boolean }> {
    const { ids, truncated } = await this.tokenizer.request({ text, maxTokens: this.maxDocumentTokens });
    return { ids: Array.from(ids), truncated };
  }

  /**
   * Embeds one document; `label` names it in errors, `tenant` is whose share of the model it uses (documents of
   * one tenant cannot crowd out another's).
   */
  async embed(
    text: string,
    label = 'document',
    options: { tenant?: string } = {},
  ): Promise<DocumentEmbedding> {
    const { ids: content, truncated } = await this.tokenize(text);
    if (content.length === 0) throw new EmptyDocumentError(`${label} has no text to embed`);
    const { prefix, suffix } = this.tokenizer.info;
    const passes = splitIntoPasses(content, prefix, suffix, this.passPolicy);
    const pooled = await this.batcher.submit(
      passes.map((p) => p.ids),
      options.tenant,
    );
    const weights = passes.map((p) => p.weight);
    return {
      tokens: [...prefix, ...content, ...suffix],
      truncated,
      passes: passes.length,
      semantic: combinePasses(
        pooled.map((p) => p.semantic),
        weights,
      ),
      domain: combinePasses(
        pooled.map((p) => p.domain),
        weights,
      ),
    };
  }

  /**
   * L2-normalised semantic vectors of short texts (evidence passages), the semantic model alone; texts longer
   * than one pass are embedded in windows as `embed` does. An empty text gives a zero vector.
   */
  async embedSemantic(texts: string[], options: { tenant?: string } = {}): Promise<Float32Array[]> {
    const { prefix, suffix } = this.tokenizer.info;
    return Promise.all(
      texts.map(async (text) => {
        const { ids } = await this.tokenize(text);
        if (ids.length === 0) return new Float32Array(this.models.semantic.dims);
        const passes = splitIntoPasses(ids, prefix, suffix, this.passPolicy);
        const pooled = await this.semanticBatcher.submit(
          passes.map((p) => p.ids),
          options.tenant,
        );
        return combinePasses(
          pooled,
          passes.map((p) => p.weight),
        );
      }),
    );
  }

  async close(): Promise<void> {
    this.semanticBatcher.close();
    this.batcher.close();
    await Promise.all([this.client.close(), this.tokenizer.close()]);
  }
}
