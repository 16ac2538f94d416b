import * as ort from 'onnxruntime-node';
import { workerData } from 'node:worker_threads';
import { coerceError } from '@shortlist/config';
import type { Batch, LoadedModelInfo, RunRequest, RunResult, ThreadInit } from './inference-protocol';
import type { Role } from './models-dir';
import { meanPool } from './pooling';
import { serveRequests } from './service-thread';

/**
 * An inference thread: owns the ONNX Runtime session of its models (the engine gives each model a thread of its
 * own, so that both run side by side) for its whole life (creating and releasing sessions leaks), runs batches
 * off the main thread (session.run blocks its thread, which would starve BullMQ's lock renewal and HTTP), and
 * pools in place (or runs a graph that pools itself) so only [rows, dims] per model crosses back.
 */

interface Loaded extends LoadedModelInfo {
  session: ort.InferenceSession;
}

const REQUIRED_INPUTS = ['input_ids', 'attention_mask'];
const OPTIONAL_INPUTS = ['token_type_ids'];
/** Output names of sentence-embedding exports, per-token first (Shortlist pools those itself). */
const KNOWN_OUTPUTS = ['last_hidden_state', 'token_embeddings', 'sentence_embedding', 'pooler_output'];

function modelError(message: string): Error {
  return Object.assign(new Error(message), { kind: 'model' as const });
}

function tensors(request: Batch): { rows: number; length: number; feeds: Record<string, ort.Tensor> } {
  const rows = request.lengths.length;
  const length = Math.max(...request.lengths);
  const ids = new BigInt64Array(rows * length);
  const mask = new BigInt64Array(rows * length);
  let offset = 0;
  request.lengths.forEach((n, r) => {
    for (let t = 0; t < n; t++) {
      ids[r * length + t] = BigInt(request.ids[offset + t]!);
      mask[r * length + t] = 1n;
    }
    offset += n;
  });
  const shape = [rows, length];
  return {
    rows,
    length,
    feeds: {
      input_ids: new ort.Tensor('int64', ids, shape),
      attention_mask: new ort.Tensor('int64', mask, shape),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(rows * length), shape),
    },
  };
}

/** One vector per row: the model's own pooled output, or the mean of each row's real tokens. */
async function pooledRows(model: Loaded, request: Batch): Promise<Float32Array> {
  const { rows, length, feeds } = tensors(request);
  const inputs = Object.fromEntries(model.inputNames.map((name) => [name, feeds[name]!]));
  const output = (await model.session.run(inputs))[model.outputName]!;
  const expected = model.output === 'tokens' ? [rows, length, model.dims] : [rows, model.dims];
  if (output.type !== 'float32' || output.dims.join() !== expected.join()) {
    throw new Error(
      `${model.role} model output ${model.outputName} is ${output.type}[${output.dims.join(', ')}], expected float32[${expected.join(', ')}]`,
    );
  }
  const data = output.data as Float32Array;
  return model.output === 'tokens' ? meanPool(data, rows, length, model.dims, request.lengths) : data.slice();
}

/**
 * Opens a model and checks what Shortlist relies on: inputs `input_ids` and `attention_mask` (`token_type_ids`
 * optional), a float32 output that is either per-token ([batch, tokens, hidden], mean-pooled here) or already
 * pooled ([batch, hidden]), and a vector that does not change when its row is padded in a batch (a model that
 * ignores the mask, e.g. pools over padding, would give every document a vector that depends on its batch).
 */
async function load(model: ThreadInit['models'][number], init: ThreadInit): Promise<Loaded> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model.onnxPath, {
      executionProviders: [init.provider],
      intraOpNumThreads: init.intraOpThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // The arena keeps what the largest run needed instead of handing buffers back to the system after each run
      // (page-faulted in again on the next). With attention blocked above 1,024 tokens its peak is bounded: an
      // 8,192-token pass of both models peaks at 2.05 GiB with it (1.57 without) and runs 2.2x faster; at 4,096
      // 1.27 GiB (1.11) and 1.9x; windows of 512 tokens 1.26x (README: "Threads, memory and the fused graph").
      enableCpuMemArena: true,
      // Intra-op threads that wait for work sleep instead of spinning: the two models run side by side, and the
      // machine is often shared; spinning took ~15% more CPU time for the same work on 2 cores.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
      logSeverityLevel: 4,
    });
  } catch (error) {
    const message = coerceError(error).message;
    const provider = init.provider !== 'cpu' && /provider|shared library|adapter|webgpu|cuda/i.test(message);
    throw Object.assign(new Error(provider ? message : `${model.onnxPath}: ${message}`), {
      kind: provider ? 'provider' : 'model',
    });
  }
  const inputNames = [...session.inputNames];
  for (const required of REQUIRED_INPUTS) {
    if (!inputNames.includes(required)) {
      throw modelError(`${model.onnxPath} has no ${required} input (inputs: ${inputNames.join(', ')})`);
    }
  }
  const unknown = inputNames.filter((n) => !REQUIRED_INPUTS.includes(n) && !OPTIONAL_INPUTS.includes(n));
  if (unknown.length > 0) {
    throw modelError(
      `${model.onnxPath} needs inputs Shortlist cannot give (${unknown.join(', ')}); expected input_ids, attention_mask and optionally token_type_ids`,
    );
  }
  const outputs = [...session.outputNames];
  const outputName =
    KNOWN_OUTPUTS.find((n) => outputs.includes(n)) ?? (outputs.length === 1 ? outputs[0] : undefined);
  if (!outputName) {
    throw modelError(
      `${model.onnxPath} has outputs ${outputs.join(', ')}; expected last_hidden_state (per token) or sentence_embedding (pooled)`,
    );
  }
  // Probe: one sequence of 3 tokens alone, then padded to 5 beside a longer one.
  const alone: Batch = { ids: Int32Array.from([1, 2, 3]), lengths: [3] };
  const probe = tensors(alone).feeds;
  const output = (await session.run(Object.fromEntries(inputNames.map((n) => [n, probe[n]!]))))[outputName]!;
  const shape = output.dims.join(', ');
  const kind =
    output.dims.length === 3 && output.dims[1] === 3
      ? 'tokens'
      : output.dims.length === 2
        ? 'pooled'
        : undefined;
  if (output.type !== 'float32' || output.dims[0] !== 1 || !kind) {
    throw modelError(
      `${model.onnxPath}: output ${outputName} is ${output.type}[${shape}] for 1 sequence of 3 tokens, expected float32[batch, tokens, hidden] or float32[batch, hidden]`,
    );
  }
  const loaded: Loaded = {
    role: model.role,
    session,
    inputNames,
    outputName,
    output: kind,
    dims: output.dims.at(-1)!,
  };
  const single = await pooledRows(loaded, alone);
  const padded = await pooledRows(loaded, {
    ids: Int32Array.from([1, 2, 3, 1, 2, 3, 4, 5]),
    lengths: [3, 5],
  });
  // Quantized models move a little with their batch (dynamic activation ranges: each MatMul's input is quantized
  // with the min/max of the whole batch); pooling over padding moves a vector far more. On all-MiniLM-L6-v2 this
  // probe gives 0.978 (the INT8 export) and 0.994 (the fused graph quantized, its down-projections fp32) in Python
  // onnxruntime, where pooling over the padding gives 0.89-0.90 (fp32 and INT8): hence a lower floor for INT8 files.
  let dot = 0;
  let normSingle = 0;
  let normPadded = 0;
  single.forEach((x, d) => {
    dot += x * padded[d]!;
    normSingle += x * x;
    normPadded += padded[d]! * padded[d]!;
  });
  const cosine = dot / Math.sqrt(normSingle * normPadded);
  if (!(cosine >= (model.quantized ? 0.97 : 0.99))) {
    throw modelError(
      `${model.onnxPath}: output ${outputName} changes when a sequence is padded in a batch (cosine ${cosine.toFixed(4)} to the same sequence alone): the model ignores attention_mask${kind === 'pooled' ? ' in its pooling' : ''}, so its vectors would depend on the batch`,
    );
  }
  return loaded;
}

serveRequests<ThreadInit, LoadedModelInfo[], RunRequest, RunResult>(
  async (init) => {
    ort.env.logLevel = 'fatal';
    const models: Loaded[] = [];
    for (const model of init.models) models.push(await load(model, init));
    return {
      info: models.map(({ role, inputNames, outputName, output, dims }) => ({
        role,
        inputNames,
        outputName,
        output,
        dims,
      })),
      // One batch at a time: ONNX Runtime already spreads one run over the intra-op threads.
      handle: async (request) => {
        const vectors: Partial<Record<Role, Float32Array>> = {};
        for (const model of models) {
          if (request.roles.includes(model.role)) vectors[model.role] = await pooledRows(model, request);
        }
        return {
          result: vectors,
          transfer: Object.values(vectors).map((v) => v.buffer as ArrayBuffer),
        };
      },
    };
  },
  (workerData as { init: ThreadInit }).init,
);
