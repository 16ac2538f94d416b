import { cp, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EmbeddingEngine,
  EmptyDocumentError,
  ModelLoadError,
  ProviderUnavailableError,
  type DocumentEmbedding,
} from '@shortlist/embedding';
import { cosine } from '../support/vectors';

const MODELS = join(__dirname, '..', 'fixtures', 'models', 'tiny');

interface Golden {
  policy: { max_tokens: number; overlap: number };
  documents: {
    id: string;
    text: string;
    tokens: number[];
    chunks: number;
    semantic: number[];
    domain: number[];
  }[];
}

function maxDifference(a: DocumentEmbedding, b: DocumentEmbedding): number {
  let max = 0;
  for (const role of ['semantic', 'domain'] as const) {
    a[role].forEach((x, i) => (max = Math.max(max, Math.abs(x - b[role][i]!))));
  }
  return max;
}

describe('embedding engine on the tiny test models', () => {
  let golden: Golden;
  let engine: EmbeddingEngine;

  beforeAll(async () => {
    golden = JSON.parse(
      await readFile(join(__dirname, '..', 'fixtures', 'golden', 'tiny.json'), 'utf8'),
    ) as Golden;
    engine = await EmbeddingEngine.open({
      modelsDir: MODELS,
      chunkTokens: golden.policy.max_tokens,
      chunkOverlap: golden.policy.overlap,
      threads: 1,
    });
  });
  afterAll(() => engine.close());

  it('matches the Python reference: identical ids, cosine >= 0.99999 (fp32)', async () => {
    const results = await Promise.all(golden.documents.map((d) => engine.embed(d.text, d.id)));
    golden.documents.forEach((doc, i) => {
      const result = results[i]!;
      expect({ id: doc.id, tokens: result.tokens, chunks: result.chunks }).toEqual({
        id: doc.id,
        tokens: doc.tokens,
        chunks: doc.chunks,
      });
      expect(cosine(result.semantic, doc.semantic)).toBeGreaterThanOrEqual(0.99999);
      expect(cosine(result.domain, doc.domain)).toBeGreaterThanOrEqual(0.99999);
    });
    expect(engine.paddingRatio).toBeGreaterThanOrEqual(1);
  });

  it('gives a document the same vector alone or inside any batch (1e-5)', async () => {
    const target = golden.documents[3]!.text;
    const alone = await engine.embed(target);
    for (const company of [
      golden.documents.slice(0, 10),
      golden.documents.slice(40),
      golden.documents.slice(20, 30),
    ]) {
      const [inBatch] = await Promise.all([
        engine.embed(target),
        ...company.map((d) => engine.embed(d.text)),
      ]);
      expect(maxDifference(alone, inBatch)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('lets every token count: changing the last sentence of a long document changes its vector', async () => {
    const long = golden.documents.at(-1)!.text;
    const edited = long.replace(/[^.]+\.$/, ' Nurse teacher lawyer accountant recruiter warehouse.');
    expect(edited).not.toBe(long);
    const [a, b] = await Promise.all([engine.embed(long), engine.embed(edited)]);
    expect(a.chunks).toBeGreaterThan(10);
    expect(cosine(a.semantic, b.semantic)).toBeLessThan(1 - 1e-6);
    expect(cosine(a.domain, b.domain)).toBeLessThan(1 - 1e-6);
  });

  it('refuses an empty text, naming the document, and keeps serving others', async () => {
    await expect(engine.embed('   \n\t', 'resume-17.txt')).rejects.toThrow(
      new EmptyDocumentError('resume-17.txt has no text to embed'),
    );
    await expect(engine.embed('Nurse')).resolves.toMatchObject({ chunks: 1 });
  });

  it('runs the INT8 files on request, close to the fp32 vectors', async () => {
    const int8 = await EmbeddingEngine.open({
      modelsDir: MODELS,
      quantized: true,
      chunkTokens: golden.policy.max_tokens,
    });
    try {
      expect(int8.models.semantic.onnxFile).toBe(join(MODELS, 'semantic', 'model_quantized.onnx'));
      for (const doc of golden.documents.slice(0, 10)) {
        const result = await int8.embed(doc.text);
        expect(result.tokens).toEqual(doc.tokens);
        expect(cosine(result.semantic, doc.semantic)).toBeGreaterThan(0.95);
        expect(cosine(result.domain, doc.domain)).toBeGreaterThan(0.95);
      }
    } finally {
      await int8.close();
    }
  });

  it('replaces a crashed inference thread and retries its batches', async () => {
    const docs = golden.documents.slice(30);
    const expected = await Promise.all(docs.map((d) => engine.embed(d.text)));
    const before = engine.threadRestarts;
    const running = Promise.all(docs.map((d) => engine.embed(d.text)));
    await engine.inferenceThread.terminate(); // the thread dies with batches in flight
    const results = await running;
    expect(engine.threadRestarts).toBe(before + 1);
    results.forEach((r, i) => expect(maxDifference(r, expected[i]!)).toBeLessThanOrEqual(1e-5));
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
    const reference = await EmbeddingEngine.open({ modelsDir: dir, chunkTokens: 64 });
    const expected = await reference.embed(text);
    await reference.close();
    for (const role of ['semantic', 'domain']) {
      const path = join(dir, role, 'tokenizer.json');
      const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      const truncation = { direction: 'Right', max_length: 16, strategy: 'LongestFirst', stride: 0 };
      await writeFile(path, JSON.stringify({ ...json, truncation }));
    }
    const engine = await EmbeddingEngine.open({ modelsDir: dir, chunkTokens: 64 });
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

  it('refuses a model whose output is not [batch, tokens, hidden], naming the file', async () => {
    const pooled = join(__dirname, '..', 'fixtures', 'models', 'pooled-output', 'model.onnx');
    await cp(pooled, join(dir, 'domain', 'model.onnx'));
    const failure = EmbeddingEngine.open({ modelsDir: dir });
    await expect(failure).rejects.toBeInstanceOf(ModelLoadError);
    await expect(failure).rejects.toThrow(
      `${join(dir, 'domain', 'model.onnx')}: output last_hidden_state is float32[1, 32] for 1 sequence of 2 tokens, expected float32[batch, tokens, hidden]`,
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

  it('says plainly when the configured provider is not available', async () => {
    await expect(EmbeddingEngine.open({ modelsDir: dir, provider: 'cuda' })).rejects.toBeInstanceOf(
      ProviderUnavailableError,
    );
    await expect(EmbeddingEngine.open({ modelsDir: dir, provider: 'cuda' })).rejects.toThrow(
      /^EMBED_PROVIDER=cuda cannot start: .*EMBED_PROVIDER=cpu\)$/s,
    );
  });
});
