import type { Role } from './models-dir';

/** Messages between the engine and its inference thread (worker_threads). */

export type Provider = 'cpu' | 'cuda' | 'webgpu';

export interface ThreadInit {
  /** `quantized`: an INT8 file, whose vectors move a little with their batch (dynamic activation ranges). */
  models: { role: Role; onnxPath: string; quantized: boolean }[];
  provider: Provider;
  /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose. */
  intraOpThreads: number;
}

/** What the thread found in each model. */
export interface LoadedModelInfo {
  role: Role;
  inputNames: string[];
  outputName: string;
  /** `tokens`: per-token hidden states, mean-pooled here; `pooled`: the model pools itself. */
  output: 'tokens' | 'pooled';
  dims: number;
}

/** A batch: rows of token ids (framed passes) concatenated, with each row's length. */
export interface Batch {
  ids: Int32Array;
  lengths: number[];
}

/** A batch and the models to run it through, of those the thread holds. */
export interface RunRequest extends Batch {
  roles: Role[];
}

/** One pooled (not normalised) vector per row and model run, rows concatenated. */
export type RunResult = Partial<Record<Role, Float32Array>>;
