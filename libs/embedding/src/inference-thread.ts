import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { Role } from './models-dir';
import type { RunRequest, ThreadInit, ThreadMessage } from './inference-protocol';
import { meanPool } from './pooling';

/**
 * The inference thread: owns one ONNX Runtime session per model for its whole life (creating and releasing
 * sessions leaks), runs batches off the main thread (session.run blocks its thread, which would starve BullMQ's
 * lock renewal and HTTP), and mean-pools in place so only [rows, dims] per model crosses back.
 */

interface Loaded {
  role: Role;
  session: ort.InferenceSession;
  inputNames: string[];
  outputName: string;
  dims: number;
}

const init = (workerData as { init: ThreadInit }).init;
const port = parentPort!;
const send = (message: ThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function load(): Promise<Loaded[]> {
  ort.env.logLevel = 'fatal';
  const loaded: Loaded[] = [];
  for (const model of init.models) {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model.onnxPath, {
        executionProviders: [init.provider],
        intraOpNumThreads: init.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        logSeverityLevel: 4,
      });
    } catch (error) {
      const message = (error as Error).message;
      const provider =
        init.provider !== 'cpu' && /provider|shared library|adapter|webgpu|cuda/i.test(message);
      throw Object.assign(new Error(provider ? message : `${model.onnxPath}: ${message}`), {
        kind: provider ? 'provider' : 'model',
      });
    }
    const inputNames = [...session.inputNames];
    for (const required of ['input_ids', 'attention_mask']) {
      if (!inputNames.includes(required)) {
        throw Object.assign(
          new Error(`${model.onnxPath} has no ${required} input (inputs: ${inputNames.join(', ')})`),
          {
            kind: 'model',
          },
        );
      }
    }
    const outputName = session.outputNames.includes('last_hidden_state')
      ? 'last_hidden_state'
      : session.outputNames[0]!;
    const loadedModel = { role: model.role, session, inputNames, outputName, dims: 0 };
    // A probe batch: the output must be per-token hidden states, [batch, tokens, hidden].
    const probe = tensors({ type: 'run', id: 0, ids: Int32Array.from([0, 0]), lengths: [2] }).feeds;
    const output = (await session.run(Object.fromEntries(inputNames.map((n) => [n, probe[n]!]))))[
      outputName
    ]!;
    if (
      output.dims.length !== 3 ||
      output.dims[0] !== 1 ||
      output.dims[1] !== 2 ||
      output.type !== 'float32'
    ) {
      throw Object.assign(
        new Error(
          `${model.onnxPath}: output ${outputName} is ${output.type}[${output.dims.join(', ')}] for 1 sequence of 2 tokens, expected float32[batch, tokens, hidden]`,
        ),
        { kind: 'model' },
      );
    }
    loadedModel.dims = output.dims[2]!;
    loaded.push(loadedModel);
  }
  return loaded;
}

function tensors(request: RunRequest): { rows: number; length: number; feeds: Record<string, ort.Tensor> } {
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

async function run(models: Loaded[], request: RunRequest): Promise<void> {
  const { rows, length, feeds } = tensors(request);
  const vectors = {} as Record<Role, Float32Array>;
  let dims = 0;
  for (const model of models) {
    const inputs = Object.fromEntries(model.inputNames.map((name) => [name, feeds[name]!]));
    const output = (await model.session.run(inputs))[model.outputName]!;
    const [b, l, h] = output.dims;
    if (output.dims.length !== 3 || b !== rows || l !== length || output.type !== 'float32') {
      throw new Error(
        `${model.role} model output ${model.outputName} is ${output.type}[${output.dims.join(', ')}], expected float32[batch, tokens, hidden]`,
      );
    }
    dims = h!;
    vectors[model.role] = meanPool(output.data as Float32Array, rows, length, dims, request.lengths);
  }
  send(
    { type: 'result', id: request.id, dims, vectors },
    Object.values(vectors).map((v) => v.buffer as ArrayBuffer),
  );
}

load().then(
  (models) => {
    send({
      type: 'ready',
      models: models.map((m) => ({
        role: m.role,
        inputNames: m.inputNames,
        outputName: m.outputName,
        dims: m.dims,
      })),
    });
    // One batch at a time: ONNX Runtime already spreads one run over the intra-op threads.
    let queue = Promise.resolve();
    port.on('message', (request: RunRequest) => {
      queue = queue.then(() =>
        run(models, request).catch((error: unknown) =>
          send({ type: 'error', id: request.id, message: (error as Error).message }),
        ),
      );
    });
  },
  (error: unknown) => {
    const e = error as Error & { kind?: 'provider' | 'model' };
    send({ type: 'init-error', kind: e.kind ?? 'model', message: e.message });
  },
);
