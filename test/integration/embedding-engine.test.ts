import { cp, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EmbeddingEngine,
  ModelLoadError,
  ProviderUnavailableError,
  type DocumentEmbedding,
} from '@shortlist/embedding';
import { EmptyDocumentError } from '@shortlist/config';
import { cosine } from '../support/vectors';

const MODELS = join(__dirname, '..', 'fixtures', 'models', 'tiny');

interface Golden {
  /** null: the engine's default (the whole document in one pass); else the windows of a lower limit. */
  policy: { max_tokens: number; overlap: number } | null;
  documents: {
    id: string;
    text: string;
    tokens: number[];
    passes: number;
    semantic: number[];
    domain: number[];
  }[];
}

const readGolden = async (name: string) =>
  JSON.parse(await readFile(join(__dirname, '..', 'fixtures', 'golden', name), 'utf8')) as Golden;

function maxDifference(a: DocumentEmbedding, b: DocumentEmbedding): number {
  let max = 0;
  for (const role of ['semantic', 'domain'] as const) {
    a[role].forEach((x, i) => (max = Math.max(max, Math.abs(x - b[role][i]!))));
  }
  return max;
}

function expectParity(result: DocumentEmbedding, doc: Golden['documents'][number]): void {
  expect({ id: doc.id, tokens: result.tokens, passes: result.passes, truncated: result.truncated }).toEqual({
    id: doc.id,
    tokens: doc.tokens,
    passes: doc.passes,
    truncated: false,
  });
  expect(cosine(result.semantic, doc.semantic)).toBeGreaterThanOrEqual(0.99999);
  expect(cosine(result.domain, doc.domain)).toBeGreaterThanOrEqual(0.99999);
}

describe('embedding engine on the tiny test models, default settings (the model card: one pass)', () => {
  let golden: Golden;
  let engine: EmbeddingEngine;

  beforeAll(async () => {
    golden = await readGolden('tiny.json');
    engine = await EmbeddingEngine.open({ modelsDir: MODELS, threads: 1 });
  });
  afterAll(() => engine.close());

  it('embeds a 1,500-token document in one pass, equal to the one-pass reference (cosine >= 0.99999)', async () => {
    const doc = golden.documents.find((d) => d.tokens.length >= 1400 && d.tokens.length <= 1600)!;
    expect(doc.tokens).toHaveLength(1498);
    const result = await engine.embed(doc.text);
    expect(result.passes).toBe(1);
    expectParity(result, doc);
  });

  it('matches the Python one-pass reference on every document up to ~4,000 tokens: identical ids, cosine >= 0.99999', async () => {
    expect(golden.policy).toBeNull();
    expect(Math.max(...golden.documents.map((d) => d.tokens.length))).toBeGreaterThan(3900);
    const results = await Promise.all(golden.documents.map((d) => engine.embed(d.text, d.id)));
    golden.documents.forEach((doc, i) => expectParity(results[i]!, doc));
    expect(engine.paddingRatio).toBeGreaterThanOrEqual(1);
  }, 300_000); // ~100k tokens in passes of up to 4,000: seconds alone, minutes on a loaded 2-core machine

  it('gives a document the same vector alone or inside any batch (1e-5)', async () => {
    for (const target of [golden.documents[3]!.text, golden.documents.at(-3)!.text]) {
      const alone = await engine.embed(target);
      for (const company of [
        golden.documents.slice(0, 10),
        golden.documents.slice(40, 50),
        golden.documents.slice(20, 30),
      ]) {
        const [inBatch] = await Promise.all([
          engine.embed(target),
          ...company.map((d) => engine.embed(d.text)),
        ]);
        expect(maxDifference(alone, inBatch)).toBeLessThanOrEqual(1e-5);
      }
    }
  }, 300_000);

  it('embeds short texts with the semantic model alone, as embed() does with both (evidence passages)', async () => {
    const texts = [
      'Led a ward of twelve nurses.',
      'Built Kafka pipelines in Python and Go.',
      golden.documents[5]!.text,
    ];
    const alone = await engine.embedSemantic(texts);
    for (const [i, text] of texts.entries()) {
      expect(cosine(alone[i]!, (await engine.embed(text)).semantic)).toBeGreaterThanOrEqual(0.99999);
    }
    expect(Array.from((await engine.embedSemantic(['  ']))[0]!).every((x) => x === 0)).toBe(true);
  });

  it('refuses an empty text, naming the document, and keeps serving others', async () => {
    await expect(engine.embed('   \n\t', 'resume-17.txt')).rejects.toThrow(
      new EmptyDocumentError('resume-17.txt has no text to embed'),
    );
    await expect(engine.embed('Nurse')).resolves.toMatchObject({ passes: 1 });
  });

  it('runs the INT8 files on request, close to the fp32 vectors: the fused graph quantized, or the INT8 export as it is', async () => {
    for (const fused of [true, false]) {
      const int8 = await EmbeddingEngine.open({ modelsDir: MODELS, quantized: true, fused });
      try {
        expect(int8.models.semantic.onnxFile).toBe(join(MODELS, 'semantic', 'model_quantized.onnx'));
        expect(int8.models.semantic.fused?.file).toBe(
          fused ? join(MODELS, 'semantic', 'model_quantized_fused.onnx') : undefined,
        );
        expect(int8.models.domain.outputName).toBe(fused ? 'sentence_embedding' : 'last_hidden_state');
        // The first ten are short (one block); the longest runs the blocked attention of the INT8 fused copy.
        const longest = golden.documents.reduce((a, b) => (b.tokens.length > a.tokens.length ? b : a));
        for (const doc of [...golden.documents.slice(0, 10), longest]) {
          const result = await int8.embed(doc.text);
          expect(result.tokens).toEqual(doc.tokens);
          expect(cosine(result.semantic, doc.semantic)).toBeGreaterThan(0.95);
          expect(cosine(result.domain, doc.domain)).toBeGreaterThan(0.95);
        }
      } finally {
        await int8.close();
      }
    }
  }, 120_000); // the longest document twice on INT8 (CPU time ~10 s on this loaded machine)

  it('runs each model on a thread of its own: side by side for short batches, one after the other for a long pass', async () => {
    expect(new Set(engine.inferenceThreads).size).toBe(2);
    const before = engine.roleScheduling;
    await engine.embed(golden.documents[0]!.text); // a few tokens
    expect(engine.roleScheduling.sideBySide).toBe(before.sideBySide + 1);
    const long = golden.documents.find((d) => d.tokens.length > 3000)!; // alone, attention over 512 x 8,192 rows
    await engine.embed(long.text);
    expect(engine.roleScheduling).toEqual({
      sideBySide: before.sideBySide + 1,
      oneAfterAnother: before.oneAfterAnother + 1,
    });
  });

  it('replaces a crashed inference thread and retries its batches', async () => {
    // Short documents: the thread is killed between native runs (terminating it inside one aborts the process,
    // which is what an out-of-memory kill does anyway).
    const docs = golden.documents.slice(0, 40);
    const expected = await Promise.all(docs.map((d) => engine.embed(d.text)));
    const before = engine.threadRestarts;
    const running = Promise.all(docs.map((d) => engine.embed(d.text)));
    await engine.inferenceThreads[0]!.terminate(); // a thread dies with batches in flight
    const results = await running;
    expect(engine.threadRestarts).toBe(before + 1);
    results.forEach((r, i) => expect(maxDifference(r, expected[i]!)).toBeLessThanOrEqual(1e-5));
  });
});

describe('embedding engine: the fused copies of the models (tools/fuse_model.py) and the models as they are', () => {
  let golden: Golden;
  beforeAll(async () => {
    golden = await readGolden('tiny.json');
  });

  it('runs the fused copy by default on CPU: fused attention, pooled inside the graph, equal to the unfused Python reference', async () => {
    const engine = await EmbeddingEngine.open({ modelsDir: MODELS, threads: 1 });
    try {
      for (const role of ['semantic', 'domain'] as const) {
        expect(engine.models[role]).toMatchObject({
          onnxFile: join(MODELS, role, 'model.onnx'),
          fused: { file: join(MODELS, role, 'model_fused.onnx') },
          outputName: 'sentence_embedding',
        });
        expect(engine.models[role].fused!.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
      // Padded rows beside long ones: the fused attention's mask and the in-graph pooling must ignore padding.
      const docs = golden.documents.filter((_, i) => i % 4 === 0);
      const results = await Promise.all(docs.map((d) => engine.embed(d.text, d.id)));
      docs.forEach((doc, i) => expectParity(results[i]!, doc));
    } finally {
      await engine.close();
    }
  }, 300_000);

  it("runs attention in blocks of query rows above the fused copy's block size (bounded memory for long documents), equal to the reference", async () => {
    // The committed tiny copies are fused with --attention-block 64, so the blocked attention (an ONNX Loop over
    // 64-row query blocks, each block's ALiBi bias computed from its positions) runs here on every document
    // longer than 64 tokens; the full-size models use 512.
    for (const role of ['semantic', 'domain'] as const) {
      const sidecar = JSON.parse(await readFile(join(MODELS, role, 'model_fused.json'), 'utf8')) as {
        attentionBlock: number | null;
        fused: Record<string, number>;
      };
      expect(sidecar.attentionBlock).toBe(64);
      expect(sidecar.fused.BlockedAttention).toBe(2);
    }
    // Several blocks plus a partial one, batched with shorter documents (padded rows, some under one block).
    const long = golden.documents.filter((d) => d.tokens.length > 3 * 64 && d.tokens.length % 64 !== 0);
    const short = golden.documents.filter((d) => d.tokens.length <= 64);
    expect(long.length).toBeGreaterThan(3);
    expect(short.length).toBeGreaterThan(0);
    const docs = [...long.slice(0, 4), ...short.slice(0, 2)];
    const engine = await EmbeddingEngine.open({ modelsDir: MODELS, threads: 1 });
    try {
      expect(engine.models.semantic.fused).toBeDefined();
      const results = await Promise.all(docs.map((d) => engine.embed(d.text, d.id)));
      docs.forEach((doc, i) => expectParity(results[i]!, doc));
    } finally {
      await engine.close();
    }
  }, 300_000);

  it("the GPU copy (fp16, attention not blocked) computes the model's function: equal to the reference to 0.999", async () => {
    // No GPU here: the GPU copy runs on the CPU provider, put in the CPU copy's place (its graph and fp16 weights are
    // what WebGPU and CUDA run; bench/gpu/run.sh checks the same on a GPU against the CPU fp32 vectors).
    const dir = await mkdtemp(join(tmpdir(), 'shortlist-gpu-copy-'));
    try {
      await cp(MODELS, dir, { recursive: true });
      for (const role of ['semantic', 'domain'] as const) {
        const sidecar = JSON.parse(await readFile(join(MODELS, role, 'model_fused_gpu.json'), 'utf8')) as {
          precision: string;
          fused: Record<string, number>;
        };
        expect(sidecar).toMatchObject({ precision: 'fp16', fused: { Attention: 2, PaddingInBias: 2 } });
        expect(sidecar.fused.BlockedAttention).toBeUndefined();
        await cp(join(MODELS, role, 'model_fused_gpu.onnx'), join(dir, role, 'model_fused.onnx'));
        await writeFile(
          join(dir, role, 'model_fused.json'),
          JSON.stringify({ ...sidecar, file: 'model_fused.onnx' }),
        );
      }
      const engine = await EmbeddingEngine.open({ modelsDir: dir, threads: 1 });
      try {
        expect(engine.models.semantic.fused).toMatchObject({ precision: 'fp16' });
        const docs = golden.documents.filter((_, i) => i % 4 === 2);
        const results = await Promise.all(docs.map((d) => engine.embed(d.text, d.id)));
        docs.forEach((doc, i) => {
          expect(results[i]!.tokens).toEqual(doc.tokens);
          expect(cosine(results[i]!.semantic, doc.semantic)).toBeGreaterThanOrEqual(0.999);
          expect(cosine(results[i]!.domain, doc.domain)).toBeGreaterThanOrEqual(0.999);
        });
      } finally {
        await engine.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('runs the model files as they are on request (fused: false), equal to the same reference', async () => {
    const engine = await EmbeddingEngine.open({ modelsDir: MODELS, threads: 1, fused: false });
    try {
      expect(engine.models.semantic.fused).toBeUndefined();
      expect(engine.models.semantic.outputName).toBe('last_hidden_state');
      const docs = golden.documents.filter((_, i) => i % 4 === 1);
      const results = await Promise.all(docs.map((d) => engine.embed(d.text, d.id)));
      docs.forEach((doc, i) => expectParity(results[i]!, doc));
    } finally {
      await engine.close();
    }
  }, 300_000);
});

describe('embedding engine: documents longer than the single-pass limit (64 tokens here)', () => {
  let golden: Golden;
  let engine: EmbeddingEngine;

  beforeAll(async () => {
    golden = await readGolden('tiny-windows.json');
    engine = await EmbeddingEngine.open({
      modelsDir: MODELS,
      passTokens: golden.policy!.max_tokens,
      passOverlap: golden.policy!.overlap,
      threads: 1,
    });
  });
  afterAll(() => engine.close());

  it('matches the Python reference of overlapping windows, token-weighted: identical ids, cosine >= 0.99999', async () => {
    const results = await Promise.all(golden.documents.map((d) => engine.embed(d.text, d.id)));
    golden.documents.forEach((doc, i) => expectParity(results[i]!, doc));
  });

  it('lets every token count: changing the last sentence of a long document changes its vector', async () => {
    const long = golden.documents.at(-1)!.text;
    const edited = long.replace(/[^.]+\.$/, ' Nurse teacher lawyer accountant recruiter warehouse.');
    expect(edited).not.toBe(long);
    const [a, b] = await Promise.all([engine.embed(long), engine.embed(edited)]);
    expect(a.passes).toBeGreaterThan(10);
    expect(cosine(a.semantic, b.semantic)).toBeLessThan(1 - 1e-6);
    expect(cosine(a.domain, b.domain)).toBeLessThan(1 - 1e-6);
  });
});

describe('embedding engine: the cap on what a document embeds', () => {
  let golden: Golden;
  let engine: EmbeddingEngine;
  const cap = 100;

  beforeAll(async () => {
    golden = await readGolden('tiny.json');
    engine = await EmbeddingEngine.open({ modelsDir: MODELS, maxDocumentTokens: cap, threads: 1 });
  });
  afterAll(() => engine.close());

  it('embeds the first N tokens of a longer text and says so', async () => {
    const doc = golden.documents.find((d) => d.tokens.length > 1000)!;
    const result = await engine.embed(doc.text);
    expect(result.truncated).toBe(true);
    expect(result.tokens).toEqual([...doc.tokens.slice(0, cap + 1), doc.tokens.at(-1)]);
  });

  it('does not flag a text that fits exactly', async () => {
    // "nurse" is one token of the tiny vocabulary.
    const fitting = await engine.embed('nurse '.repeat(cap));
    expect(fitting).toMatchObject({ truncated: false });
    expect(fitting.tokens).toHaveLength(cap + 2);
    const over = await engine.embed('nurse '.repeat(cap + 1));
    expect(over).toMatchObject({ truncated: true });
    expect(over.tokens).toHaveLength(cap + 2);
  });

  it('embeds a multi-megabyte text (its first N tokens), tokenizing only what it needs', async () => {
    const huge = `${golden.documents.at(-1)!.text} `.repeat(300); // ~7 MB
    expect(huge.length).toBeGreaterThan(5_000_000);
    const result = await engine.embed(huge);
    expect(result).toMatchObject({ truncated: true, passes: 1 });
    expect(result.tokens.slice(0, 50)).toEqual(golden.documents.at(-1)!.tokens.slice(0, 50));
  });
});

describe('models that pool themselves or take no token_type_ids', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shortlist-pooled-'));
    await cp(MODELS, dir, { recursive: true });
    // The tiny semantic encoder (same weights) exported with its masked mean inside, no token_type_ids input.
    const exported = join(__dirname, '..', 'fixtures', 'models', 'sentence-embedding', 'model.onnx');
    await rm(join(dir, 'semantic', 'model_quantized.onnx'));
    await cp(exported, join(dir, 'semantic', 'model.onnx'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('uses a 2-D sentence_embedding output as it is: the same vectors as pooling the per-token model', async () => {
    const golden = await readGolden('tiny.json');
    const engine = await EmbeddingEngine.open({ modelsDir: dir, threads: 1 });
    try {
      expect(engine.models.semantic).toMatchObject({
        inputNames: ['input_ids', 'attention_mask'],
        outputName: 'sentence_embedding',
      });
      const docs = golden.documents.filter((_, i) => i % 5 === 0);
      const results = await Promise.all(docs.map((d) => engine.embed(d.text)));
      docs.forEach((doc, i) => expectParity(results[i]!, doc));
    } finally {
      await engine.close();
    }
  });
});

describe('loading models: clear errors', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shortlist-models-'));
    await cp(MODELS, dir, { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('names a missing model folder', async () => {
    await rm(join(dir, 'domain'), { recursive: true });
    await expect(EmbeddingEngine.open({ modelsDir: dir })).rejects.toThrow(
      new ModelLoadError(`models directory ${dir} has no domain/ folder (see \`shortlist models pull\`)`),
    );
  });

  it('names a missing tokenizer file', async () => {
    await rm(join(dir, 'semantic', 'tokenizer.json'));
    await expect(EmbeddingEngine.open({ modelsDir: dir })).rejects.toThrow(
      `missing model file ${join(dir, 'semantic', 'tokenizer.json')}`,
    );
  });

  it('names a tokenizer that does not match the model vocabulary', async () => {
    const configPath = join(dir, 'domain', 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, vocab_size: 100 }));
    await expect(EmbeddingEngine.open({ modelsDir: dir })).rejects.toThrow(
      `${join(dir, 'domain', 'tokenizer.json')} does not match the model`,
    );
  });

  it('ignores a truncation setting in tokenizer.json: every token still counts', async () => {
    const text = 'senior python engineer with data science experience '.repeat(20);
    const reference = await EmbeddingEngine.open({ modelsDir: dir });
    const expected = await reference.embed(text);
    await reference.close();
    for (const role of ['semantic', 'domain']) {
      const path = join(dir, role, 'tokenizer.json');
      const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      const truncation = { direction: 'Right', max_length: 16, strategy: 'LongestFirst', stride: 0 };
      await writeFile(path, JSON.stringify({ ...json, truncation }));
    }
    const engine = await EmbeddingEngine.open({ modelsDir: dir });
    const result = await engine.embed(text);
    await engine.close();
    expect(result.tokens).toEqual(expected.tokens);
    expect(result.tokens.length).toBeGreaterThan(100);
  });

  it('names an ONNX file that is not a model', async () => {
    await writeFile(join(dir, 'semantic', 'model.onnx'), 'not a model');
    const failure = EmbeddingEngine.open({ modelsDir: dir });
    await expect(failure).rejects.toBeInstanceOf(ModelLoadError);
    await expect(failure).rejects.toThrow(join(dir, 'semantic', 'model.onnx'));
  });

  it('refuses a model whose vectors change with padding (it pools over the padding), naming the file', async () => {
    const pooled = join(__dirname, '..', 'fixtures', 'models', 'pooled-output', 'model.onnx');
    await cp(pooled, join(dir, 'domain', 'model.onnx'));
    const failure = EmbeddingEngine.open({ modelsDir: dir });
    await expect(failure).rejects.toBeInstanceOf(ModelLoadError);
    await expect(failure).rejects.toThrow(
      new RegExp(
        `^${join(dir, 'domain', 'model.onnx')}: output last_hidden_state changes when a sequence is padded in a batch \\(cosine 0\\.[0-9]{4} to the same sequence alone\\): the model ignores attention_mask in its pooling, so its vectors would depend on the batch$`,
      ),
    );
  });

  it('refuses a model whose vectors do not have the size its config.json declares', async () => {
    const configPath = join(dir, 'semantic', 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(configPath, JSON.stringify({ ...config, hidden_size: 64 }));
    await expect(EmbeddingEngine.open({ modelsDir: dir })).rejects.toThrow(
      `${join(dir, 'semantic', 'model.onnx')} produces 32-D vectors, but its config.json says hidden_size 64`,
    );
  });

  it('derives the manifest on first load, reuses it while the model file is unchanged', async () => {
    const manifestPath = join(dir, 'semantic', 'shortlist-manifest.json');
    const read = async () => JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    await (await EmbeddingEngine.open({ modelsDir: dir })).close();
    const first = await read();
    expect(first).toMatchObject({
      role: 'semantic',
      dims: 32,
      maxTokens: 8192,
      pooling: 'mean',
      vocabSize: 378,
    });
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);

    await writeFile(manifestPath, JSON.stringify({ ...first, name: 'kept' }));
    await (await EmbeddingEngine.open({ modelsDir: dir })).close();
    expect((await read()).name).toBe('kept');

    const later = new Date(Date.now() + 60_000);
    await utimes(join(dir, 'semantic', 'model.onnx'), later, later);
    await (await EmbeddingEngine.open({ modelsDir: dir })).close();
    expect(await read()).toMatchObject({ name: 'shortlist/random-tiny-semantic', sha256: first.sha256 });
  });

  it('ignores a fused copy made from another model file, or damaged since, and runs the model as it is', async () => {
    const sidecarPath = join(dir, 'semantic', 'model_fused.json');
    const sidecar = JSON.parse(await readFile(sidecarPath, 'utf8')) as Record<string, unknown>;
    await writeFile(sidecarPath, JSON.stringify({ ...sidecar, sourceSha256: '0'.repeat(64) }));
    let engine = await EmbeddingEngine.open({ modelsDir: dir });
    expect(engine.models.semantic.fused).toBeUndefined();
    expect(engine.models.semantic.outputName).toBe('last_hidden_state');
    expect(engine.models.domain.fused?.file).toBe(join(dir, 'domain', 'model_fused.onnx'));
    await engine.close();

    await writeFile(sidecarPath, JSON.stringify(sidecar));
    const fusedPath = join(dir, 'semantic', 'model_fused.onnx');
    const bytes = await readFile(fusedPath);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    await writeFile(fusedPath, bytes);
    engine = await EmbeddingEngine.open({ modelsDir: dir });
    expect(engine.models.semantic.fused).toBeUndefined();
    await engine.close();
  });

  it('says plainly when the configured provider is not available', async () => {
    await expect(EmbeddingEngine.open({ modelsDir: dir, provider: 'cuda' })).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    await expect(EmbeddingEngine.open({ modelsDir: dir, provider: 'cuda' })).rejects.toThrow(
      /^EMBED_PROVIDER=cuda cannot start: .*EMBED_PROVIDER=cpu\)$/s,
    );
  });
});
