import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { coerceError } from '@shortlist/config';
import { ModelLoadError } from './errors';

export const ROLES = ['semantic', 'domain'] as const;
export type Role = (typeof ROLES)[number];

/** What Shortlist derives about a model on first load and checks on later loads (`shortlist-manifest.json`). */
export interface ModelManifest {
  role: Role;
  /** Name from config.json (`_name_or_path`), else the folder. */
  name: string;
  onnxFile: string;
  onnxSize: number;
  onnxMtimeMs: number;
  sha256: string;
  tokenizerSha256: string;
  dims: number;
  maxTokens: number;
  vocabSize: number;
  pooling: 'mean';
  /**
   * The pre-optimised copy of the ONNX file beside it (`tools/fuse_model.py`: fused attention, GELU, LayerNorm and
   * mean pooling), when its `model_fused.json` names this file's sha256 and the fused file's own hash matches.
   * The model's identity stays `sha256` (the same weights, the same vectors to cosine >= 0.99999). For the INT8
   * file `model_quantized.onnx`: `model_quantized_fused.onnx`, the fused fp32 graph quantized the same way (its
   * vectors are as close to fp32 as the unfused INT8 file's, not equal to them). For a GPU provider:
   * `model_fused_gpu.onnx`, the same fusions in fp16 without blocked attention (cosine >= 0.999 to the source).
   */
  fused?: FusedModel;
  /**
   * The fused copy beside the model that is not used, and why (made from another file, damaged, no sidecar); with
   * the file's and its sidecar's size and mtime, so that a cached manifest is derived again when either changes.
   */
  fusedIgnored?: IgnoredCopy;
  /** Filled by the inference thread from the session itself. */
  inputNames?: string[];
  outputName?: string;
}

interface FusedModel {
  file: string;
  /** Of its sidecar (`model_fused.json`): a changed sidecar derives the manifest again. */
  sidecarMtimeMs: number;
  /** What the weights and activations are stored in (the sidecar's `precision`; fp32 when it names none). */
  precision: 'fp32' | 'fp16';
  size: number;
  mtimeMs: number;
  sha256: string;
}

interface IgnoredCopy {
  file: string;
  size: number;
  mtimeMs: number;
  /** -1: there is none. */
  sidecarMtimeMs: number;
  reason: string;
}

export interface ModelFiles {
  role: Role;
  dir: string;
  onnxPath: string;
  tokenizerPath: string;
  configPath: string;
}

const MANIFEST = 'shortlist-manifest.json';
/** The processor a fused copy is made for: the CPU provider, or a GPU one (WebGPU, CUDA). */
export type FusedTarget = 'cpu' | 'gpu';

/**
 * What tools/fuse_model.py writes beside a model's ONNX file: `model.onnx` -> `model_fused.onnx` and
 * `model_fused.json` (CPU), `model_fused_gpu.onnx` and `model_fused_gpu.json` (GPU); its INT8 file
 * `model_quantized.onnx` -> `model_quantized_fused.onnx` and `model_quantized_fused.json` (the fused graph,
 * quantized, CPU only).
 */
const FUSED_SUFFIX: Record<FusedTarget, string> = { cpu: '_fused', gpu: '_fused_gpu' };
const isFusedCopy = (file: string) =>
  Object.values(FUSED_SUFFIX).some((suffix) => file.endsWith(`${suffix}.onnx`));
const fusedFiles = (onnxPath: string, target: FusedTarget) => {
  const stem = onnxPath.replace(/\.onnx$/, '') + FUSED_SUFFIX[target];
  return { file: `${stem}.onnx`, sidecar: `${stem}.json` };
};

/** The ONNX file of a model folder: `model.onnx`, else `onnx/model.onnx`; INT8 (`*quantized*`/`*int8*`) on request. */
async function findOnnx(dir: string, quantized: boolean): Promise<string> {
  const candidates: string[] = [];
  for (const sub of ['', 'onnx']) {
    const folder = join(dir, sub);
    if (!existsSync(folder)) continue;
    for (const file of await readdir(folder)) {
      if (file.endsWith('.onnx') && !isFusedCopy(file)) candidates.push(join(sub, file));
    }
  }
  const isQuantized = (f: string) => /quant|int8|uint8|q8/i.test(f);
  const preferred = candidates
    .filter((f) => isQuantized(f) === quantized)
    .sort((a, b) => a.length - b.length || a.localeCompare(b));
  const chosen = preferred[0];
  if (!chosen) {
    throw new ModelLoadError(
      `no ${quantized ? 'quantized ' : ''}ONNX model in ${dir} (expected model.onnx or onnx/model*.onnx${quantized ? ' with quantized/int8 in the name' : ''})`,
    );
  }
  return join(dir, chosen);
}

export async function locateModel(modelsDir: string, role: Role, quantized = false): Promise<ModelFiles> {
  const dir = join(modelsDir, role);
  if (!existsSync(dir)) {
    throw new ModelLoadError(
      `models directory ${modelsDir} has no ${role}/ folder (see \`shortlist models pull\`)`,
    );
  }
  const files = {
    role,
    dir,
    onnxPath: await findOnnx(dir, quantized),
    tokenizerPath: join(dir, 'tokenizer.json'),
    configPath: join(dir, 'config.json'),
  };
  for (const path of [files.tokenizerPath, files.configPath]) {
    if (!existsSync(path)) throw new ModelLoadError(`missing model file ${path}`);
  }
  return files;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ModelLoadError(`cannot read ${path}: ${coerceError(error).message}`);
  }
}

function positiveInt(value: unknown, path: string, key: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ModelLoadError(`${path}: ${key} must be a positive integer (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** The highest token id the tokenizer can produce, + 1. */
function tokenizerVocabSize(tokenizer: Record<string, unknown>, path: string): number {
  const model = tokenizer.model as { vocab?: Record<string, number> } | undefined;
  const ids = Object.values(model?.vocab ?? {});
  const added = ((tokenizer.added_tokens as { id: number }[] | undefined) ?? []).map((t) => t.id);
  if (ids.length === 0) throw new ModelLoadError(`${path} has no WordPiece vocabulary (model.vocab)`);
  return Math.max(...ids, ...added) + 1;
}

/**
 * The manifest of a model folder: read when it still matches the ONNX file (same size and mtime) and the fused
 * copy for `target`, else derived again (sha256, dims, context length) and written back. Checks that the
 * tokenizer fits the model's vocabulary.
 */
export async function loadManifest(files: ModelFiles, target: FusedTarget = 'cpu'): Promise<ModelManifest> {
  const info = await stat(files.onnxPath);
  const manifestPath = join(files.dir, MANIFEST);
  const tokenizerSha256 = await sha256File(files.tokenizerPath);
  const { file: fusedPath, sidecar: sidecarPath } = fusedFiles(files.onnxPath, target);
  const fusedInfo = existsSync(fusedPath) ? await stat(fusedPath) : undefined;
  const sidecarMtimeMs = existsSync(sidecarPath) ? (await stat(sidecarPath)).mtimeMs : -1;
  if (existsSync(manifestPath)) {
    const cached = (await readJson(manifestPath)) as unknown as ModelManifest;
    const copy = cached.fused ?? cached.fusedIgnored;
    if (
      cached.onnxFile === files.onnxPath &&
      cached.onnxSize === info.size &&
      cached.onnxMtimeMs === info.mtimeMs &&
      cached.tokenizerSha256 === tokenizerSha256 &&
      (copy?.file ?? fusedPath) === fusedPath &&
      (copy?.size ?? -1) === (fusedInfo?.size ?? -1) &&
      (copy?.mtimeMs ?? -1) === (fusedInfo?.mtimeMs ?? -1) &&
      (copy?.sidecarMtimeMs ?? sidecarMtimeMs) === sidecarMtimeMs
    ) {
      return cached;
    }
  }
  const config = await readJson(files.configPath);
  const tokenizer = await readJson(files.tokenizerPath);
  const vocabSize = positiveInt(config.vocab_size, files.configPath, 'vocab_size');
  const tokenizerVocab = tokenizerVocabSize(tokenizer, files.tokenizerPath);
  if (tokenizerVocab > vocabSize) {
    throw new ModelLoadError(
      `${files.tokenizerPath} does not match the model: it produces ids up to ${tokenizerVocab - 1}, the model knows ${vocabSize} (config.json vocab_size)`,
    );
  }
  const sha256 = await sha256File(files.onnxPath);
  const manifest: ModelManifest = {
    role: files.role,
    name: typeof config._name_or_path === 'string' ? config._name_or_path : files.dir,
    onnxFile: files.onnxPath,
    onnxSize: info.size,
    onnxMtimeMs: info.mtimeMs,
    sha256,
    tokenizerSha256,
    dims: positiveInt(config.hidden_size, files.configPath, 'hidden_size'),
    maxTokens: positiveInt(
      config.max_position_embeddings ?? 8192,
      files.configPath,
      'max_position_embeddings',
    ),
    vocabSize,
    pooling: 'mean',
  };
  if (fusedInfo) {
    const fused = await fusedCopy(files, sha256, target);
    const copy = { file: fusedPath, size: fusedInfo.size, mtimeMs: fusedInfo.mtimeMs, sidecarMtimeMs };
    if ('ignored' in fused) manifest.fusedIgnored = { ...copy, reason: fused.ignored };
    else manifest.fused = { ...copy, ...fused };
  }
  // Best effort: a read-only models directory still works, it only derives again next time.
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n').catch(() => undefined);
  return manifest;
}

/**
 * The sha256 and precision of the fused copy for `target` beside a model, when its sidecar (`model_fused.json`,
 * `model_fused_gpu.json`) says it was made from this very file (its sha256) and the fused file is the one the tool
 * wrote (its sha256); else why not: a stale or damaged copy is ignored, the model itself is used.
 */
async function fusedCopy(
  { onnxPath, dir }: ModelFiles,
  sha256: string,
  target: FusedTarget,
): Promise<Pick<FusedModel, 'sha256' | 'precision'> | { ignored: string }> {
  const { file, sidecar: sidecarPath } = fusedFiles(onnxPath, target);
  const rerun = `run tools/fuse_model.py on ${basename(dir)}/ again`;
  if (!existsSync(sidecarPath))
    return { ignored: `${basename(file)} has no ${basename(sidecarPath)} beside it; ${rerun}` };
  const sidecar = (await readJson(sidecarPath)) as {
    source?: string;
    sourceSha256?: string;
    sha256?: string;
    precision?: string;
  };
  if (sidecar.source !== basename(onnxPath) || sidecar.sourceSha256 !== sha256) {
    return {
      ignored: `${basename(file)} was made from another ${sidecar.source ?? 'file'} (sha256 ${String(sidecar.sourceSha256).slice(0, 12)}, this one ${sha256.slice(0, 12)}); ${rerun}`,
    };
  }
  const fused = await sha256File(file);
  if (fused !== sidecar.sha256)
    return {
      ignored: `${basename(file)} is not the file tools/fuse_model.py wrote (sha256 ${fused.slice(0, 12)}, its sidecar says ${String(sidecar.sha256).slice(0, 12)}); ${rerun}`,
    };
  return { sha256: fused, precision: sidecar.precision === 'fp16' ? 'fp16' : 'fp32' };
}
