import { Batcher } from './batcher';
import { chunkTokens } from './chunking';
import { EmptyDocumentError, ModelLoadError } from './errors';
import { InferenceClient } from './inference-client';
import type { Provider } from './inference-protocol';
import { ROLES, loadManifest, locateModel, type ModelManifest, type Role } from './models-dir';
import { combineChunks } from './pooling';
import { DocumentTokenizer } from './tokenizer';

export interface EngineOptions {
  modelsDir: string;
  provider?: Provider;
  /** Use the INT8 ONNX files of the model folders. */
  quantized?: boolean;
  /** ONNX Runtime intra-op threads (0: ONNX Runtime decides). */
  threads?: number;
  /**
   * Most tokens per chunk, specials included. 512 keeps attention memory small on CPU (the full 8,192-token
   * context needs ~10 GB there); raise it on a GPU. Capped at the models' context.
   */
  chunkTokens?: number;
  /** Tokens shared by consecutive chunks. */
  chunkOverlap?: number;
  /** Most tokens (padding included) per inference batch. */
  batchTokens?: number;
  /** Longest a chunk waits for others to share its batch. */
  maxWaitMs?: number;
}

export interface DocumentEmbedding {
  /** The whole document's token ids, framed by the special tokens (as one sequence, before chunking). */
  tokens: number[];
  chunks: number;
  /** L2-normalised document vectors. */
  semantic: Float32Array;
  domain: Float32Array;
}

/**
 * Embeds documents with both models: tokenizes each once (the models share a tokenizer), splits long ones into
 * overlapping chunks (never truncates), batches chunks of concurrent callers, runs both models on an inference
 * thread, and combines chunk vectors into one normalised vector per model.
 */
export class EmbeddingEngine {
  private constructor(
    readonly models: Record<Role, ModelManifest>,
    private readonly tokenizer: DocumentTokenizer,
    private readonly client: InferenceClient,
    private readonly batcher: Batcher<Record<Role, Float32Array>>,
    readonly chunkPolicy: { maxTokens: number; overlap: number },
  ) {}

  static async open(options: EngineOptions): Promise<EmbeddingEngine> {
    const files = await Promise.all(
      ROLES.map((role) => locateModel(options.modelsDir, role, options.quantized)),
    );
    const manifests = await Promise.all(files.map((f) => loadManifest(f)));
    const [semantic, domain] = manifests as [ModelManifest, ModelManifest];
    if (semantic.tokenizerSha256 !== domain.tokenizerSha256) {
      throw new ModelLoadError(
        `${files[0]!.tokenizerPath} and ${files[1]!.tokenizerPath} differ: both models must share one tokenizer`,
      );
    }
    const tokenizer = new DocumentTokenizer(files[0]!.tokenizerPath);
    const context = Math.min(semantic.maxTokens, domain.maxTokens);
    const maxTokens = Math.min(options.chunkTokens ?? 512, context);
    const chunkPolicy = {
      maxTokens,
      overlap: Math.min(options.chunkOverlap ?? 64, Math.floor(maxTokens / 4)),
    };
    const client = await InferenceClient.start({
      models: files.map((f) => ({ role: f.role, onnxPath: f.onnxPath })),
      provider: options.provider ?? 'cpu',
      intraOpThreads: options.threads ?? 0,
    });
    for (const found of client.models) {
      const manifest = found.role === 'semantic' ? semantic : domain;
      if (found.dims !== manifest.dims) {
        await client.close();
        throw new ModelLoadError(
          `${manifest.onnxFile} produces ${found.dims}-D vectors, but its config.json says hidden_size ${manifest.dims}`,
        );
      }
      Object.assign(manifest, { inputNames: found.inputNames, outputName: found.outputName });
    }
    const batcher = new Batcher<Record<Role, Float32Array>>(
      { batchTokens: Math.max(options.batchTokens ?? 8192, maxTokens), maxWaitMs: options.maxWaitMs ?? 5 },
      async (rows) => {
        const byModel = await client.run(rows);
        return rows.map((_, i) => ({ semantic: byModel.semantic[i]!, domain: byModel.domain[i]! }));
      },
    );
    return new EmbeddingEngine({ semantic, domain }, tokenizer, client, batcher, chunkPolicy);
  }

  /** Tokens computed per real token so far (1.0 = no padding). */
  get paddingRatio(): number {
    return this.batcher.paddingRatio;
  }

  /** Times the inference thread was replaced after dying. */
  get threadRestarts(): number {
    return this.client.restarts;
  }

  /** The inference thread now running (observability; it changes after a restart). */
  get inferenceThread() {
    return this.client.currentThread;
  }

  /** Embeds one document; `label` names it in errors. */
  async embed(text: string, label = 'document'): Promise<DocumentEmbedding> {
    const content = this.tokenizer.content(text);
    if (content.length === 0) throw new EmptyDocumentError(`${label} has no text to embed`);
    const chunks = chunkTokens(content, this.tokenizer.prefix, this.tokenizer.suffix, this.chunkPolicy);
    const pooled = await Promise.all(chunks.map((c) => this.batcher.add(c.ids)));
    const weights = chunks.map((c) => c.weight);
    return {
      tokens: this.tokenizer.framed(content),
      chunks: chunks.length,
      semantic: combineChunks(
        pooled.map((p) => p.semantic),
        weights,
      ),
      domain: combineChunks(
        pooled.map((p) => p.domain),
        weights,
      ),
    };
  }

  async close(): Promise<void> {
    this.batcher.flush();
    await this.client.close();
  }
}
