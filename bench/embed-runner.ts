import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EmbeddingEngine, type Provider } from '@shortlist/embedding';

/**
 * Child-process half of `npm run bench:embed`: embeds a JSONL corpus with the Shortlist engine (models loaded
 * before the clock starts, as the reference runner does) and prints one JSON line of figures.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      in: { type: 'string' },
      quantized: { type: 'boolean', default: false },
      // Unset: the engine's default single-pass limit (4,096 on CPU, 8,192 on a GPU).
      'pass-tokens': { type: 'string' },
      overlap: { type: 'string' },
      'batch-tokens': { type: 'string', default: '8192' },
      provider: { type: 'string', default: 'cpu' },
      threads: { type: 'string' },
    },
  });
  const texts = readFileSync(values.in!, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { text: string }).text);
  const engine = await EmbeddingEngine.open({
    modelsDir: values.models!,
    quantized: values.quantized,
    ...(values['pass-tokens'] ? { passTokens: Number(values['pass-tokens']) } : {}),
    ...(values.overlap ? { passOverlap: Number(values.overlap) } : {}),
    batchTokens: Number(values['batch-tokens']),
    provider: values.provider as Provider,
    ...(values.threads ? { threads: Number(values.threads) } : {}),
  });
  const start = performance.now();
  // Many documents in flight at once, as a worker with many active jobs has: the batcher groups their chunks.
  const inFlight = 64;
  let tokens = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < texts.length) {
        const result = await engine.embed(texts[next++]!);
        tokens += result.tokens.length;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await engine.close();
  process.stdout.write(
    `${JSON.stringify({
      engine: `shortlist-${values.quantized ? 'int8' : 'fp32'}${values.provider === 'cpu' ? '' : `-${values.provider}`}`,
      documents: texts.length,
      tokens,
      seconds,
      paddingRatio: engine.paddingRatio,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
}

void main();
