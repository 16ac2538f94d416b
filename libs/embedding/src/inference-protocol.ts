import type { Role } from './models-dir';

/** Messages between the engine and its inference thread (worker_threads). */

export type Provider = 'cpu' | 'cuda' | 'webgpu';

export interface ThreadInit {
  models: { role: Role; onnxPath: string }[];
  provider: Provider;
  /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose. */
  intraOpThreads: number;
}

/** A batch: rows of token ids (framed chunks) concatenated, with each row's length. */
export interface RunRequest {
  type: 'run';
  id: number;
  ids: Int32Array;
  lengths: number[];
}

export type ThreadMessage =
  | { type: 'ready'; models: { role: Role; inputNames: string[]; outputName: string; dims: number }[] }
  | { type: 'init-error'; kind: 'provider' | 'model'; message: string }
  | { type: 'result'; id: number; dims: number; vectors: Record<Role, Float32Array> }
  | { type: 'error'; id: number; message: string };
