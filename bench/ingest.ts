import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { ApiKeyRepository, TenantRepository, queryRows } from '@shortlist/db';
import { EmbeddingEngine } from '@shortlist/embedding';
import { createRedisConnection, JobQueues } from '@shortlist/queue';
import { coerceError } from '@shortlist/config';
import { createTestDatabase } from '../test/support/database';
import { freePort, waitFor } from '../test/support/net';
import { deletePrefix, uniquePrefix } from '../test/support/redis';
import { createTestBucket } from '../test/support/s3';
import { ensureServices } from '../test/support/services';
import { seededUniform } from '../test/support/vectors';
import { DOMAIN_NAMES, text } from './corpus';

/**
 * `npm run bench:ingest`: the API and the pipeline on real services (PostgreSQL, Redis, the S3 server), the API
 * and the worker as their built processes.
 *
 *   (a) one POST registering BENCH_REGISTRATIONS (10,000) S3 references; BENCH_UPLOADS (1,000) small multipart
 *       uploads sent open-loop at BENCH_UPLOAD_RATE (200/s): latency counted from each request's scheduled start.
 *   (b) BENCH_PIPELINE_DOCS (1,000) text resumes from `queued` to `ready` through the API and a worker, against
 *       the raw throughput of the embedding library on the same texts. BENCH_MODELS picks the models (default:
 *       the committed tiny ones; `.shortlist/models/random-full` after `npm run bench:embed` for full size).
 *   (c) fairness: small documents (of the same and of another tenant) arriving while a 20 MB text is embedded.
 *
 * BENCH_SECTIONS picks them (`api` = (a) and (b), `fairness` = (c); default both). Writes
 * bench/results/ingest-<time>.json and ingest-fairness-<time>.json and prints tables.
 */

const root = join(__dirname, '..');
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function startProcess(app: 'api' | 'worker', extra: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(root, 'apps', app, 'dist', 'main.js')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...extra },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function step(message: string): void {
  process.stderr.write(`bench:ingest: ${message}\n`);
}

interface BenchContext {
  base: string;
  key: string;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  bucket: Awaited<ReturnType<typeof createTestBucket>>;
  prefix: string;
  redis: ReturnType<typeof createRedisConnection>;
  tenants: TenantRepository;
  serviceEnv: Record<string, string>;
  models: string;
}

/** (a) and (b): the API's intake, then the pipeline against the raw library. */
async function apiAndPipeline(
  { base, key, database, bucket, prefix, redis, tenants, serviceEnv, models }: BenchContext,
  started: ChildProcess[],
): Promise<void> {
  const registrations = env('BENCH_REGISTRATIONS', 10_000);
  const uploads = env('BENCH_UPLOADS', 1000);
  const rate = env('BENCH_UPLOAD_RATE', 200);
  const pipelineDocs = env('BENCH_PIPELINE_DOCS', 1000);
  const headers = { authorization: `Bearer ${key}` };

  // (a1) 10,000 S3-key registrations in one call, three times.
  const registrationSeconds: number[] = [];
  for (let run = 0; run < 3; run++) {
    const body = JSON.stringify({
      documents: Array.from({ length: registrations }, (_, i) => ({
        kind: 'resume',
        source: { bucket: bucket.bucket, key: `incoming/run${run}/resume-${i}.pdf` },
      })),
    });
    const started = performance.now();
    const response = await fetch(`${base}/v1/documents`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    if (response.status !== 202) throw new Error(`registration answered ${response.status}`);
    await response.arrayBuffer();
    registrationSeconds.push((performance.now() - started) / 1000);
    step(`registered ${registrations} references in ${registrationSeconds.at(-1)!.toFixed(2)} s`);
  }

  // (a2) open-loop multipart uploads at a fixed arrival rate.
  const random = seededUniform(99);
  const uploadTexts = Array.from(
    { length: uploads },
    (_, i) => `upload ${i} ${prefix}\n${text(DOMAIN_NAMES[i % DOMAIN_NAMES.length]!, 250, random)}`,
  );
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now() + 50;
  await Promise.all(
    uploadTexts.map(async (content, i) => {
      const scheduled = start + (i * 1000) / rate;
      await new Promise((r) => setTimeout(r, Math.max(0, scheduled - performance.now())));
      const form = new FormData();
      form.append('kind', 'resume');
      form.append('file', new Blob([content]), `resume-${i}.txt`);
      try {
        const response = await fetch(`${base}/v1/documents`, { method: 'POST', headers, body: form });
        await response.arrayBuffer();
        if (response.status !== 202) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - scheduled);
    }),
  );
  const uploadSeconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  step(
    `${uploads} uploads: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
  );

  // Leave (b) a clean queue: (a)'s jobs are not part of the pipeline figure.
  const queues = new JobQueues(redis, prefix);
  await queues.queue('extract').obliterate({ force: true });
  await queues.close();

  // (b) raw embedding throughput of the library on the pipeline's texts, then the pipeline itself.
  const pipelineTexts = Array.from({ length: pipelineDocs }, (_, i) =>
    text(DOMAIN_NAMES[i % DOMAIN_NAMES.length]!, 200 + Math.floor(random() * 400), random),
  );
  const engine = await EmbeddingEngine.open({ modelsDir: models });
  const rawStart = performance.now();
  let next = 0;
  let rawTokens = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < pipelineTexts.length) {
        const { tokens } = await engine.embed(pipelineTexts[next++]!);
        rawTokens += tokens.length;
      }
    }),
  );
  const rawSeconds = (performance.now() - rawStart) / 1000;
  await engine.close();
  step(`raw embedding: ${pipelineDocs} documents in ${rawSeconds.toFixed(1)} s`);

  const pipelineTenant = await tenants.ensure('bench-pipeline');
  const pipelineKey = (await new ApiKeyRepository(database.db).issue(pipelineTenant.tenantId)).key;
  const worker = startProcess('worker', { ...serviceEnv, MODELS_DIR: models, WORKER_CONCURRENCY: '32' });
  started.push(worker);
  // The worker loads its models before the clock starts, as the raw run did.
  await waitFor('the worker to register its models', async () => {
    const [row] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM models`);
    return row!.n >= 2;
  });
  const pipelineStart = performance.now();
  const submitted = await fetch(`${base}/v1/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${pipelineKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ documents: pipelineTexts.map((t) => ({ kind: 'resume', text: t })) }),
  });
  if (submitted.status !== 202) throw new Error(`pipeline submission answered ${submitted.status}`);
  await submitted.arrayBuffer();
  await waitFor(
    'every pipeline document to be ready',
    async () => {
      const [row] = await queryRows<{ ready: number; failed: number }>(
        database.db,
        sql`SELECT count(*) FILTER (WHERE status = 'ready')::int AS ready,
                   count(*) FILTER (WHERE status = 'failed')::int AS failed
            FROM documents WHERE tenant_id = ${pipelineTenant.tenantId}`,
      );
      if (row!.failed > 0) throw new Error(`${row!.failed} pipeline documents failed`);
      return row!.ready === pipelineDocs;
    },
    24 * 3600_000,
    100,
  );
  const wallSeconds = (performance.now() - pipelineStart) / 1000;
  // From the first document's `queued` to the last one's `ready`, on the database's clock.
  const [span] = await queryRows<{ seconds: number }>(
    database.db,
    sql`SELECT extract(epoch FROM max(updated_at) - min(created_at))::float8 AS seconds
        FROM documents WHERE tenant_id = ${pipelineTenant.tenantId}`,
  );
  const pipelineSeconds = span!.seconds;
  step(`pipeline: ${pipelineDocs} documents queued -> ready in ${pipelineSeconds.toFixed(1)} s`);

  const registrationMedian = [...registrationSeconds].sort((a, b) => a - b)[1]!;
  const results = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    models,
    registrations: {
      count: registrations,
      seconds: registrationSeconds,
      medianSeconds: registrationMedian,
    },
    uploads: {
      count: uploads,
      ratePerSecond: rate,
      achievedPerSecond: uploads / uploadSeconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1)!,
      errors,
    },
    pipeline: {
      documents: pipelineDocs,
      tokens: rawTokens,
      rawDocsPerSecond: pipelineDocs / rawSeconds,
      pipelineDocsPerSecond: pipelineDocs / pipelineSeconds,
      ratio: rawSeconds / pipelineSeconds,
      wallSecondsFromSubmission: wallSeconds,
    },
    targets: {
      registrationsWithin5s: registrationMedian <= 5,
      uploadsAtLeast200PerSecond: uploads / uploadSeconds >= 200 * 0.98 && rate >= 200,
      uploadP99Under250ms: percentile(latencies, 99) < 250,
      uploadErrorsZero: errors === 0,
      pipelineAtLeast90PercentOfRaw: rawSeconds / pipelineSeconds >= 0.9,
    },
  };
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const out = join(root, 'bench', 'results', `ingest-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.table({
    [`register ${registrations} S3 keys (median of 3)`]: {
      value: `${registrationMedian.toFixed(2)} s`,
      target: '<= 5 s',
    },
    [`${uploads} uploads at ${rate}/s: achieved`]: {
      value: `${results.uploads.achievedPerSecond.toFixed(0)}/s`,
      target: '>= 200/s',
    },
    'upload latency p50 / p99': {
      value: `${results.uploads.p50Ms.toFixed(1)} / ${results.uploads.p99Ms.toFixed(1)} ms`,
      target: 'p99 < 250 ms',
    },
    'upload errors': { value: String(errors), target: '0' },
    [`raw embedding (${pipelineDocs} docs)`]: {
      value: `${results.pipeline.rawDocsPerSecond.toFixed(2)} docs/s`,
      target: '',
    },
    'pipeline queued -> ready': {
      value: `${results.pipeline.pipelineDocsPerSecond.toFixed(2)} docs/s`,
      target: '',
    },
    'pipeline / raw': { value: results.pipeline.ratio.toFixed(2), target: '>= 0.9' },
  });
  console.log(`results: ${out}`);
}

/**
 * (c) Fairness: a 20 MB text document (MAX_DOCUMENT_BYTES) goes in; once it is being embedded, BENCH_SMALL_DOCS
 * (10) 30-token documents of its tenant and as many of another tenant follow. Their time to ready (queued ->
 * ready, on the database's clock) against the big one's: the issue saw the small ones wait >13 minutes.
 */
async function bigBesideSmall(
  { base, database, tenants, serviceEnv, models }: BenchContext,
  started: ChildProcess[],
) {
  const smallCount = env('BENCH_SMALL_DOCS', 10);
  const bytes = env('BENCH_BIG_BYTES', 20 * 1024 * 1024);
  const keys = new ApiKeyRepository(database.db);
  const bigTenant = await tenants.ensure('bench-big');
  const otherTenant = await tenants.ensure('bench-other');
  const auth = async (tenantId: string) => ({ authorization: `Bearer ${(await keys.issue(tenantId)).key}` });
  const [bigHeaders, otherHeaders] = [await auth(bigTenant.tenantId), await auth(otherTenant.tenantId)];
  if (started.length === 0) {
    started.push(startProcess('worker', { ...serviceEnv, MODELS_DIR: models, WORKER_CONCURRENCY: '32' }));
  }
  await waitFor('the worker to register its models', async () => {
    const [row] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM models`);
    return row!.n >= 2;
  });
  const random = seededUniform(2024);
  let big = '';
  while (big.length < bytes - 10_000) big += text(DOMAIN_NAMES[0]!, 20_000, random) + '\n';
  const form = new FormData();
  form.append('kind', 'resume');
  form.append('file', new Blob([big.slice(0, bytes - 1)]), 'big.txt');
  const response = await fetch(`${base}/v1/documents`, { method: 'POST', headers: bigHeaders, body: form });
  if (response.status !== 202) throw new Error(`the big upload answered ${response.status}`);
  const bigId = ((await response.json()) as { documents: { id: string }[] }).documents[0]!.id;
  step(`a ${(bytes / 2 ** 20).toFixed(0)} MB text uploaded; waiting for it to be embedded`);
  const statusOf = async (id: string) => {
    const [row] = await queryRows<{ status: string }>(
      database.db,
      sql`SELECT status FROM documents WHERE id = ${id}`,
    );
    return row!.status;
  };
  await waitFor(
    'the big document to be embedding',
    async () => (await statusOf(bigId)) === 'embedding',
    600_000,
    50,
  );
  const smallText = (i: number) =>
    `Registered nurse ${i}, intensive care, patient safety, medication and triage.`;
  const submit = async (headers: Record<string, string>, offset: number) => {
    const answer = await fetch(`${base}/v1/documents`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        documents: Array.from({ length: smallCount }, (_, i) => ({
          kind: 'resume',
          text: smallText(offset + i),
        })),
      }),
    });
    if (answer.status !== 202) throw new Error(`small documents answered ${answer.status}`);
    return ((await answer.json()) as { documents: { id: string }[] }).documents.map((d) => d.id);
  };
  const sameTenant = await submit(bigHeaders, 0);
  const otherTenantIds = await submit(otherHeaders, smallCount);
  const all = [bigId, ...sameTenant, ...otherTenantIds];
  await waitFor(
    'the big and the small documents to be ready',
    async () => {
      const rows = await queryRows<{ status: string }>(
        database.db,
        sql`SELECT status FROM documents WHERE id IN ${all}`,
      );
      if (rows.some((r) => r.status === 'failed')) throw new Error('a document failed');
      return rows.every((r) => r.status === 'ready');
    },
    3600_000,
    100,
  );
  const timings = await queryRows<{ id: string; seconds: number; tokens: number; truncated: boolean }>(
    database.db,
    sql`SELECT id, extract(epoch FROM updated_at - created_at)::float8 AS seconds, token_count AS tokens,
               embed_truncated AS truncated
        FROM documents WHERE id IN ${all}`,
  );
  const byId = new Map(timings.map((t) => [t.id, t]));
  const seconds = (ids: string[]) => ids.map((id) => byId.get(id)!.seconds).sort((a, b) => a - b);
  const bigRow = byId.get(bigId)!;
  const result = {
    bigDocument: {
      bytes,
      tokens: bigRow.tokens,
      truncated: bigRow.truncated,
      secondsToReady: bigRow.seconds,
    },
    smallSameTenant: {
      count: smallCount,
      medianSeconds: percentile(seconds(sameTenant), 50),
      maxSeconds: seconds(sameTenant).at(-1)!,
    },
    smallOtherTenant: {
      count: smallCount,
      medianSeconds: percentile(seconds(otherTenantIds), 50),
      maxSeconds: seconds(otherTenantIds).at(-1)!,
    },
  };
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const out = join(
    root,
    'bench',
    'results',
    `ingest-fairness-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  writeFileSync(
    out,
    `${JSON.stringify({ machine: { cpus: cpus().length, loadAverage: loadavg() }, models, ...result }, null, 2)}\n`,
  );
  console.table({
    [`${(bytes / 2 ** 20).toFixed(0)} MB text: queued -> ready`]: {
      value: `${bigRow.seconds.toFixed(1)} s (${bigRow.tokens} tokens embedded${bigRow.truncated ? ', truncated' : ''})`,
    },
    [`${smallCount} small documents, same tenant: median / max`]: {
      value: `${result.smallSameTenant.medianSeconds.toFixed(1)} / ${result.smallSameTenant.maxSeconds.toFixed(1)} s`,
    },
    [`${smallCount} small documents, another tenant: median / max`]: {
      value: `${result.smallOtherTenant.medianSeconds.toFixed(1)} / ${result.smallOtherTenant.maxSeconds.toFixed(1)} s`,
    },
  });
  console.log(`results: ${out}`);
}

async function main(): Promise<void> {
  const models = process.env.BENCH_MODELS ?? join(root, 'test', 'fixtures', 'models', 'tiny');
  if (!existsSync(join(models, 'semantic'))) throw new Error(`no models at ${models} (BENCH_MODELS)`);

  await ensureServices();
  const database = await createTestDatabase();
  const bucket = await createTestBucket();
  const prefix = uniquePrefix();
  const redis = createRedisConnection(process.env.REDIS_URL!, { role: 'producer' });
  const tenants = new TenantRepository(database.db);
  const key = (await new ApiKeyRepository(database.db).issue((await tenants.ensure('bench')).tenantId)).key;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serviceEnv = {
    DATABASE_URL: database.url,
    REDIS_PREFIX: prefix,
    S3_BUCKET: bucket.bucket,
    SOURCE_ALLOWLIST: `${bucket.bucket}/incoming/`,
    // The registrations of (a) point at no object; keep the sweeper off them during (b).
    SWEEP_STALE_SECONDS: '86400',
  };
  const api = startProcess('api', { ...serviceEnv, PORT: String(port), HOST: '127.0.0.1' });
  const started: ChildProcess[] = [];
  try {
    await waitFor(
      'the API to be ready',
      // Refused until the API listens: that is what this waits out.
      async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.ok,
    );
    const sections = new Set((process.env.BENCH_SECTIONS ?? 'api,fairness').split(','));
    const context = { base, key, database, bucket, prefix, redis, tenants, serviceEnv, models };
    if (sections.has('api')) await apiAndPipeline(context, started);
    if (sections.has('fairness')) await bigBesideSmall(context, started);
  } finally {
    for (const worker of started) await stopProcess(worker);
    await stopProcess(api);
    // Lazily connected: a run of (c) alone never used it.
    if (redis.status === 'wait') await redis.connect();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await bucket
      .remove()
      .catch((e: unknown) => step(`could not remove the bench bucket: ${coerceError(e).message}`));
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
