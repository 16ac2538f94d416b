import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EmbeddingEngine, type Provider } from '@shortlist/embedding';
import { seededUniform } from '../test/support/vectors';
import { DOMAIN_NAMES, text } from './corpus';

/**
 * Child-process half of `npm run bench:embed` (one process per contender, so its peak RSS is its own; models
 * loaded before the clock starts, as the reference runner does). Prints one JSON line of figures.
 *
 *   --in corpus.jsonl        the corpus, many documents in flight at once (as a worker with many active jobs)
 *   --length N --reps R      one document of N tokens (specials included), embedded R times one after another
 *   --vectors FILE           with --in: each document's vectors, one JSON line per document in corpus order (parity)
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      in: { type: 'string' },
      length: { type: 'string' },
      reps: { type: 'string', default: '3' },
      quantized: { type: 'boolean', default: false },
      // Unset: the engine's default single-pass limit (4,096 on CPU, 8,192 on a GPU).
      'pass-tokens': { type: 'string' },
      overlap: { type: 'string' },
      'batch-tokens': { type: 'string', default: '8192' },
      provider: { type: 'string', default: 'cpu' },
      threads: { type: 'string' },
      // The model files as they are, not their fused copies (tools/fuse_model.py) even where those exist.
      unfused: { type: 'boolean', default: false },
      vectors: { type: 'string' },
    },
  });
  const engine = await EmbeddingEngine.open({
    modelsDir: values.models!,
    quantized: values.quantized,
    ...(values['pass-tokens'] ? { passTokens: Number(values['pass-tokens']) } : {}),
    ...(values.overlap ? { passOverlap: Number(values.overlap) } : {}),
    batchTokens: Number(values['batch-tokens']),
    maxDocumentTokens: 1_048_576,
    provider: values.provider as Provider,
    ...(values.threads ? { threads: Number(values.threads) } : {}),
    fused: !values.unfused,
  });
  const fused = engine.models.semantic.fused;
  const precision = values.quantized ? 'int8' : (fused?.precision ?? 'fp32');
  const label = `shortlist-${precision}${fused ? '-fused' : ''}${values.provider === 'cpu' ? '' : `-${values.provider}`}`;
  const figures = values.length
    ? await oneDocument(engine, Number(values.length), Number(values.reps))
    : await corpus(engine, values.in!, values.vectors);
  await engine.close();
  process.stdout.write(
    `${JSON.stringify({
      engine: label,
      passTokens: engine.passPolicy.maxTokens,
      ...figures,
      paddingRatio: engine.paddingRatio,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
}

async function corpus(engine: EmbeddingEngine, path: string, vectorsPath?: string) {
  const texts = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { text: string }).text);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const inFlight = 64;
  let tokens = 0;
  let next = 0;
  const vectors: { semantic: number[]; domain: number[] }[] = [];
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < texts.length) {
        const index = next++;
        const result = await engine.embed(texts[index]!);
        tokens += result.tokens.length;
        if (vectorsPath)
          vectors[index] = { semantic: Array.from(result.semantic), domain: Array.from(result.domain) };
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  if (vectorsPath) writeFileSync(vectorsPath, vectors.map((v) => JSON.stringify(v)).join('\n') + '\n');
  return {
    documents: texts.length,
    tokens,
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

/** A text of exactly `length` tokens with this tokenizer, specials included (words of the benchmark corpus). */
async function textOfTokens(engine: EmbeddingEngine, length: number): Promise<string> {
  const words = text(DOMAIN_NAMES[0]!, length * 2, seededUniform(length)).split(' ');
  const tokensOf = async (n: number) => (await engine.tokenize(words.slice(0, n).join(' '))).ids.length;
  // The longest prefix of words within length - 2 content tokens, then single-letter words to make up the rest.
  let low = 0;
  let high = words.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if ((await tokensOf(mid)) <= length - 2) low = mid;
    else high = mid - 1;
  }
  const missing = length - 2 - (await tokensOf(low));
  return [...words.slice(0, low), ...Array.from({ length: missing }, () => 'a')].join(' ');
}

async function oneDocument(engine: EmbeddingEngine, length: number, reps: number) {
  const document = await textOfTokens(engine, length);
  const rssAfterLoad = process.memoryUsage().rss;
  const seconds: number[] = [];
  let last: Awaited<ReturnType<EmbeddingEngine['embed']>> | undefined;
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    last = await engine.embed(document);
    seconds.push((performance.now() - start) / 1000);
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return {
    length,
    tokens: last!.tokens.length,
    passes: last!.passes,
    seconds,
    tokensPerSecond: last!.tokens.length / median,
    rssAfterLoadBytes: rssAfterLoad,
    semantic: Array.from(last!.semantic),
    domain: Array.from(last!.domain),
  };
}

void main();
