import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sql } from 'drizzle-orm';
import { queryRows, type RankedCandidate } from '@shortlist/db';
import { auditCandidates, rankCandidates, type ScoreParams } from '@shortlist/scoring';
import { checkedFetch, ok, type ApiClient } from '../support/api-client/client';
import type { paths } from '../support/api-client/openapi';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { runCliAsync } from '../support/cli';
import type { TestDatabase } from '../support/database';
import { freePort, waitFor } from '../support/net';
import { dot, seededRandom } from '../support/vectors';

const fixtures = join(__dirname, '..', 'fixtures');
const WORDS = [
  'kafka',
  'spark',
  'postgres',
  'nursing',
  'payroll',
  'latency',
  'terraform',
  'litigation',
  'budget',
];

type ScreeningBody =
  paths['/v1/postings/{id}/screenings']['post']['requestBody']['content']['application/json'];

interface Run {
  id: string;
  status: string;
  params: ScoreParams;
  pendingDocumentIds: string[];
  total: number;
  failureReason?: string;
  results: RankedCandidate[];
}

describe('screening API end to end (HTTP, PostgreSQL, Redis, S3, a worker process)', () => {
  let stack: ApiStack;
  let database: TestDatabase;
  let prefix: string;
  let base: string;
  let key: string;
  let otherKey: string;
  let postingId: string;
  let postingDocument: string;
  let resumes: string[];
  let resumeTexts: string[];
  let workerPort: number;
  /** The typed clients of the API as the two tenants; every answer is checked against the OpenAPI document. */
  let acme: ApiClient;
  let globex: ApiClient;

  /** Asks for a screening run of a posting (the answer as the client has it). */
  const screen = (id: string, body: ScreeningBody = {}, client = acme) =>
    client.POST('/v1/postings/{id}/screenings', { params: { path: { id } }, body });
  /** Starts a run of the posting of these tests; its id. */
  const startRun = async (body: ScreeningBody = {}) => (await ok(screen(postingId, body))).runId;
  const getRun = (runId: string, limit?: number, client = acme) =>
    client.GET('/v1/screenings/{runId}', { params: { path: { runId }, query: limit ? { limit } : {} } });
  const exportCsv = (runId: string) =>
    acme.GET('/v1/screenings/{runId}/export.csv', { params: { path: { runId } }, parseAs: 'text' });
  /** A multipart upload: built by hand (the typed client sends JSON), its answer checked against the document. */
  const upload = async (form: FormData, k = key) =>
    (
      (await (
        await checkedFetch(`${base}/v1/documents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${k}` },
          body: form,
        })
      ).json()) as { documents: { id: string }[] }
    ).documents.map((d) => d.id);

  const completed = (runId: string, limit = 1000) =>
    waitFor(
      `screening ${runId} to finish`,
      async () => {
        const run = (await ok(getRun(runId, limit))) as unknown as Run & { evidence: string };
        // Completed, and its evidence quoted (the ranking is readable before; see the test of evidence).
        return (run.status === 'completed' && run.evidence !== 'pending') || run.status === 'failed'
          ? run
          : undefined;
      },
      90_000,
      200,
    );

  beforeAll(async () => {
    // The worker's report of a finished night is a log line (LOG_LEVEL info) and metrics (its health port).
    workerPort = await freePort();
    stack = await startApiStack({
      workerEnv: {
        SCREENING_WAIT_SECONDS: '4',
        LOG_LEVEL: 'info',
        WORKER_HEALTH_PORT: String(workerPort),
        HOST: '127.0.0.1',
      },
    });
    ({ database, prefix, base } = stack);
    ({ acme: key, globex: otherKey } = stack.keys);
    acme = stack.client(key);
    globex = stack.client(otherKey);

    const random = seededRandom(2026);
    const texts = Array.from(
      { length: 220 },
      (_, i) =>
        `resume ${i}: ${Array.from({ length: 60 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')}`,
    );
    resumeTexts = texts;
    const accepted = await ok(
      acme.POST('/v1/documents', {
        body: { documents: texts.map((text) => ({ kind: 'resume' as const, text })) },
      }),
    );
    resumes = accepted.documents.map((d) => d.id);
    const posting = await acme.POST('/v1/postings', {
      body: {
        title: 'Data engineer',
        text: 'Data engineer: kafka, spark and postgres pipelines; terraform; low latency.',
      },
    });
    expect(posting.response.status).toBe(201);
    ({ id: postingId, documentId: postingDocument } = posting.data!);
    const byId = { params: { path: { id: postingId } } };
    const added = await ok(
      acme.POST('/v1/postings/{id}/applicants', { ...byId, body: { documentIds: resumes.slice(0, 210) } }),
    );
    expect(added).toMatchObject({ added: 210, applicants: 210 });
    expect(await ok(acme.GET('/v1/postings/{id}', byId))).toMatchObject({
      id: postingId,
      title: 'Data engineer',
      applicants: 210,
    });
    // Every document embedded before the first run: the runs below test ranking, not the wait (which has its own
    // test), whatever the speed of the machine.
    await waitFor(
      'the 221 documents to be ready',
      async () => {
        const [row] = await queryRows<{ ready: number }>(
          database.db,
          sql`SELECT count(*)::int AS ready FROM documents WHERE status = 'ready'`,
        );
        return row!.ready === 221 ? true : undefined;
      },
      150_000,
      250,
    );
  }, 240_000);

  afterAll(() => stack?.stop());

  /** Vectors as stored, read back from the database (the independent recomputation starts here). */
  async function storedVectors(): Promise<Map<string, { semantic: number[]; domain: number[] }>> {
    const rows = await queryRows<{ document_id: string; role: string; v: string }>(
      database.db,
      sql`SELECT e.document_id, m.role::text AS role, e.embedding::text AS v
          FROM embeddings e JOIN models m ON m.id = e.model_id AND m.active`,
    );
    const vectors = new Map<string, { semantic: number[]; domain: number[] }>();
    for (const row of rows) {
      const entry = vectors.get(row.document_id) ?? { semantic: [], domain: [] };
      entry[row.role as 'semantic' | 'domain'] = JSON.parse(row.v) as number[];
      vectors.set(row.document_id, entry);
    }
    return vectors;
  }

  function expectSameRanking(actual: Run['results'], expected: ReturnType<typeof rankCandidates>) {
    expect(actual.map((r) => r.documentId)).toEqual(expected.map((r) => r.documentId));
    actual.forEach((r, i) => {
      const e = expected[i]!;
      expect(r.rank).toBe(e.rank);
      expect(r.sameDomain).toBe(e.sameDomain);
      for (const field of ['final', 'unclipped'] as const)
        expect(Math.abs(r[field] - e[field])).toBeLessThan(1e-3);
      for (const field of ['semantic', 'domain'] as const)
        expect(Math.abs(r[field] - e[field])).toBeLessThan(1e-5);
    });
  }

  it('ranks 210 applicants exactly as an independent recomputation from the stored vectors', async () => {
    const { data, response } = await screen(postingId);
    expect(response.status).toBe(202);
    const run = await completed(data!.runId);
    expect(run).toMatchObject({ status: 'completed', total: 210, pendingDocumentIds: [] });
    expect(run.params).toEqual({ threshold: 0.5, boost: 1.2, penalty: 0.6, hardGate: false });

    const vectors = await storedVectors();
    const posting = vectors.get(postingDocument)!;
    const expected = rankCandidates(
      resumes.slice(0, 210).map((id) => ({
        documentId: id,
        semantic: dot(vectors.get(id)!.semantic, posting.semantic),
        domain: dot(vectors.get(id)!.domain, posting.domain),
      })),
      run.params,
    );
    expectSameRanking(run.results, expected);
  });

  it('explains each result (gate, flags, evidence for the top N) and audits the gate as a recomputation does', async () => {
    const vectors = await storedVectors();
    const posting = vectors.get(postingDocument)!;
    const candidates = resumes.slice(0, 210).map((id) => ({
      documentId: id,
      semantic: dot(vectors.get(id)!.semantic, posting.semantic),
      domain: dot(vectors.get(id)!.domain, posting.domain),
    }));
    // The threshold between the two middle domain cosines: half boosted, half penalised, some of them borderline
    // (midway, so that no candidate sits on it, where float4 in SQL and float8 here may round either way).
    const sorted = [...candidates.map((c) => c.domain)].sort((a, b) => a - b);
    const threshold = (sorted[104]! + sorted[105]!) / 2;
    const params = { threshold, boost: 1.2, penalty: 0.6, hardGate: false };
    const run = (await completed(await startRun({ params, evidence: 5 }))) as unknown as Omit<
      Run,
      'results'
    > & {
      audit: Record<string, number>;
      modelNames: { semantic: string; domain: string };
      evidenceTop: number;
      results: (RankedCandidate & {
        gate: { factor: number; clipped: boolean; threshold: number; explanation: string };
        flags: string[];
        evidence?: { text: string; similarity: number }[];
      })[];
    };
    const expected = auditCandidates(candidates, params);
    const { reviewCutoff, ...counts } = run.audit;
    expect(run.audit).toEqual({ ...counts, reviewCutoff });
    expect(counts).toEqual({ ...expected, reviewCutoff: undefined });
    expect(reviewCutoff).toBeCloseTo(expected.reviewCutoff!, 6);
    expect(run.audit.penalised).toBeGreaterThan(0);
    expect(run.modelNames.semantic).toMatch(/random/);
    expect(run.modelNames.domain).toMatch(/random/);
    expect(run.evidenceTop).toBe(5);
    expect(run).toMatchObject({ evidence: 'complete' });
    for (const r of run.results) {
      expect(r.gate).toMatchObject({
        threshold,
        factor: r.sameDomain ? 1.2 : 0.6,
        clipped: r.final !== r.unclipped,
      });
      expect(r.gate.explanation).toMatch(
        r.sameDomain ? /> threshold .*: boosted ×1\.2/ : /≤ threshold .*: penalised ×0\.6/,
      );
      expect(r.flags.includes('borderline')).toBe(Math.abs(r.domain - threshold) <= 0.05 + 1e-9);
    }
    expect(run.results.filter((r) => r.flags.includes('review'))).toHaveLength(expected.review);
    // Evidence for the top 5 only: passages of the resume itself, best first.
    const texts = await queryRows<{ document_id: string; text: string }>(
      database.db,
      sql`SELECT document_id, text FROM document_texts`,
    );
    const textOf = new Map(texts.map((t) => [t.document_id, t.text]));
    for (const r of run.results.slice(0, 5)) {
      expect(r.evidence!.length).toBeGreaterThan(0);
      for (const passage of r.evidence!) expect(textOf.get(r.documentId)).toContain(passage.text);
      const similarities = r.evidence!.map((e) => e.similarity);
      expect(similarities).toEqual([...similarities].sort((a, b) => b - a));
    }
    expect(run.results.slice(5).every((r) => r.evidence === undefined)).toBe(true);

    // A pool run whose hard gate removes everyone says how many it removed.
    const gated = (await completed(
      await startRun({ scope: 'pool', top: 10, params: { threshold: 1, hardGate: true } }),
    )) as unknown as Run & { audit: Record<string, number> };
    expect(gated.total).toBe(0);
    // Audited over the candidates the index gave: max(2 × top, 100).
    expect(gated.audit).toMatchObject({ candidates: 100, boosted: 0, penalised: 0, removedByGate: 100 });
  });

  it('appends a new run without touching the older one, and exports CSV', async () => {
    const first = await completed(await startRun());
    const params = { threshold: 0.2, boost: 1.5, penalty: 0.1, hardGate: true };
    const second = await completed(await startRun({ params, top: 25 }));
    expect(second.params).toEqual(params);
    expect(second.results.length).toBeLessThanOrEqual(25);
    expect(second.results.every((r) => r.sameDomain)).toBe(true);
    const again = await completed(first.id);
    expect(again.results).toEqual(first.results);

    const csv = await exportCsv(first.id);
    expect(csv.response.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.data!.trimEnd().split('\r\n');
    // The same columns as `shortlist screen --format csv`.
    expect(lines[0]).toBe(
      'rank,status,file,documentId,final,unclipped,semantic,domain,sameDomain,gateFactor,clipped,flags,' +
        'domainLabel,domainSimilarity,domainRunnerUp,reason,evidence',
    );
    expect(lines).toHaveLength(211);
    const [rank, status, , documentId, final, , semantic] = lines[1]!.split(',');
    expect([Number(rank), status, documentId, final, semantic]).toEqual([
      1,
      'ranked',
      first.results[0]!.documentId,
      first.results[0]!.final.toFixed(2),
      first.results[0]!.semantic.toFixed(4),
    ]);
  });

  it('screens the pool through the index: top k of every resume of the tenant', async () => {
    const run = await completed(await startRun({ scope: 'pool', top: 20 }));
    expect(run.status).toBe('completed');
    const vectors = await storedVectors();
    const posting = vectors.get(postingDocument)!;
    const exact = rankCandidates(
      resumes.map((id) => ({
        documentId: id,
        semantic: dot(vectors.get(id)!.semantic, posting.semantic),
        domain: dot(vectors.get(id)!.domain, posting.domain),
      })),
      run.params,
    ).slice(0, 20);
    expectSameRanking(run.results, exact);
  });

  it('lists applicants that failed apart from pending ones, with the reason, in the run and its CSV', async () => {
    const form = new FormData();
    form.append('kind', 'resume');
    form.append('file', new Blob([]), 'empty.txt');
    const [failing] = await upload(form);
    await ok(
      acme.POST('/v1/postings/{id}/applicants', {
        params: { path: { id: postingId } },
        body: { documentIds: [failing!] },
      }),
    );
    const run = await completed(await startRun());
    expect(run).toMatchObject({
      status: 'completed',
      total: 210,
      pendingDocumentIds: [],
      failed: [{ documentId: failing, failureReason: 'no_text', file: 'empty.txt' }],
    });
    const csv = await ok(exportCsv(run.id));
    expect(csv.trimEnd().split('\r\n').at(-1)).toBe(`,failed,empty.txt,${failing},,,,,,,,,,,,no_text,`);
  });

  it('re-scores every open posting once per day, however often the nightly job runs', async () => {
    const env = { REDIS_PREFIX: prefix, DATABASE_URL: database.url };
    for (let i = 0; i < 2; i++) {
      const result = await runCliAsync(['rescore', '--now', '--day', '2031-01-02'], env);
      expect(result).toMatchObject({
        status: 0,
        stdout: 'queued nightly-2031-01-02: the workers re-score every open posting\n',
      });
    }
    const runs = await waitFor(
      'the nightly runs to finish',
      async () => {
        const rows = await queryRows<{ id: string; posting_id: string; status: string }>(
          database.db,
          sql`SELECT id, posting_id, status FROM screening_runs WHERE trigger = 'nightly'`,
        );
        return rows.length > 0 && rows.every((r) => r.status === 'completed') ? rows : undefined;
      },
      60_000,
      200,
    );
    // Only the posting with applicants; once, though the job ran twice.
    expect(runs.map((r) => r.posting_id)).toEqual([postingId]);
    const nightly = await completed(runs[0]!.id);
    const api = await completed(await startRun());
    // The same ranking; the nightly run quotes no evidence (its cost stays off the night's schedule).
    const ranking = (results: Run['results']) => results.map((r) => ({ ...r, evidence: undefined }));
    expect(ranking(nightly.results)).toEqual(ranking(api.results));
    expect(nightly).toMatchObject({ evidence: 'none' });
    // The night reports itself once all its runs have finished (the report job re-checks every 5 s).
    const report = await waitFor(
      "the night's report",
      () => {
        const lines = stack.worker
          .output()
          .split('\n')
          .slice(0, -1) // whole lines only
          .filter((line) => line.includes('nightly re-score finished'));
        return lines.length > 0
          ? lines.map((line) => JSON.parse(line) as Record<string, unknown>)
          : undefined;
      },
      30_000,
      200,
    );
    expect(report).toEqual([expect.objectContaining({ day: '2031-01-02', completed: 1, failed: 0 })]);
    // ... and on the worker's /metrics, for alerting.
    const metrics = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
    expect(metrics).toMatch(/^shortlist_nightly_runs\{outcome="completed"\} 1$/m);
    expect(metrics).toMatch(/^shortlist_nightly_runs\{outcome="failed"\} 0$/m);
    expect(metrics).toMatch(/^shortlist_nightly_finished_timestamp_seconds \d{10}/m);
    expect((await runCliAsync(['rescore', '--now', '--day', 'yesterday'], env)).status).toBe(64);
    // The worker (NIGHTLY_CRON defaults to 02:00 UTC) put the schedule in place; it can be taken out.
    expect((await runCliAsync(['rescore', '--unschedule'], env)).stdout).toBe('nightly schedule removed\n');
    expect((await runCliAsync(['rescore', '--unschedule'], env)).stdout).toBe(
      'there was no nightly schedule\n',
    );
  });

  it('ranks the same files the same way as the embedded `shortlist screen` (one truth)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'shortlist-one-truth-'));
    try {
      const files = ['resume.txt', 'resume.pdf', 'resume.docx', 'resume.html'].map((f) =>
        join(fixtures, 'docs', f),
      );
      files.push(join(fixtures, 'bad', 'latin1.txt'), join(fixtures, 'bad', 'utf16.txt'));
      for (const f of files) copyFileSync(f, join(folder, basename(f)));
      const jobText = 'Data engineer with Kafka and Spark; compiler experience welcome; Zürich office.';
      writeFileSync(join(folder, '..', `${basename(folder)}-job.txt`), jobText);

      const form = new FormData();
      form.append('kind', 'resume');
      for (const f of files) form.append('file', new Blob([readFileSync(f)]), basename(f));
      const ids = await upload(form, otherKey);
      const fileOf = new Map(ids.map((id, i) => [id, basename(files[i]!)]));
      const posting = await ok(globex.POST('/v1/postings', { body: { title: 'job', text: jobText } }));
      await ok(
        globex.POST('/v1/postings/{id}/applicants', {
          params: { path: { id: posting.id } },
          body: { documentIds: ids },
        }),
      );
      const { runId } = await ok(screen(posting.id, {}, globex));
      const api = await waitFor(
        'the API screening',
        async () => {
          const run = (await ok(getRun(runId, undefined, globex))) as unknown as Run;
          return run.status === 'completed' ? run : undefined;
        },
        90_000,
        200,
      );

      const cli = await runCliAsync(
        [
          'screen',
          '--job',
          join(folder, '..', `${basename(folder)}-job.txt`),
          '--resumes',
          folder,
          '--models',
          join(fixtures, 'models', 'tiny'),
          '--data-dir',
          join(folder, '.data'),
          '--format',
          'json',
        ],
        { EMBED_PASS_TOKENS: '64', EMBED_PASS_OVERLAP: '16', DATABASE_URL: '' },
      );
      expect(cli.status).toBe(0);
      const embedded = (JSON.parse(cli.stdout) as { results: (Run['results'][number] & { file: string })[] })
        .results;
      // Same scores per file; the order is the same but for exact ties (the same text as .txt, .pdf, .docx and
      // .html), which each database breaks by its own document ids.
      const apiByFile = new Map(api.results.map((r) => [fileOf.get(r.documentId)!, r]));
      expect([...apiByFile.keys()].sort()).toEqual(embedded.map((r) => r.file).sort());
      for (const r of embedded) {
        const a = apiByFile.get(r.file)!;
        for (const field of ['semantic', 'domain'] as const)
          expect(Math.abs(r[field] - a[field])).toBeLessThan(1e-5);
        expect(Math.abs(r.unclipped - a.unclipped)).toBeLessThan(1e-3);
        expect(r.sameDomain).toBe(a.sameDomain);
      }
      const order = (rows: { file: string; unclipped: number }[]) =>
        [...rows]
          .sort((x, y) => y.unclipped - x.unclipped || x.file.localeCompare(y.file))
          .map((r) => r.file);
      expect(order(embedded)).toEqual(
        order(api.results.map((r) => ({ file: fileOf.get(r.documentId)!, unclipped: r.unclipped }))),
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
      rmSync(join(folder, '..', `${basename(folder)}-job.txt`), { force: true });
    }
  });

  it('answers bad requests with the status that names the problem', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await screen(unknown)).response.status).toBe(404);
    expect((await screen(postingId, {}, globex)).response.status).toBe(404);
    expect((await getRun(unknown)).response.status).toBe(404);
    const outOfRange = await screen(postingId, { params: { threshold: 2 } });
    expect(outOfRange.response.status).toBe(400);
    expect(outOfRange.error?.message).toMatch(/threshold/);
    const empty = await ok(
      acme.POST('/v1/postings', { body: { title: 'Empty', text: 'A posting nobody applied to.' } }),
    );
    const noApplicants = await screen(empty.id);
    expect(noApplicants.response.status).toBe(422);
    expect(noApplicants.error?.error).toBe('no_applicants');
    const foreign = await acme.POST('/v1/postings/{id}/applicants', {
      params: { path: { id: postingId } },
      body: { documentIds: [unknown] },
    });
    expect(foreign.response.status).toBe(404);
    expect(foreign.error?.missing).toEqual([unknown]);
    // Many unknown ids: each one in `missing`, a message of one line that counts them.
    const unknowns = Array.from({ length: 300 }, () => randomUUID());
    const many = await acme.POST('/v1/postings/{id}/applicants', {
      params: { path: { id: postingId } },
      body: { documentIds: [resumes[0]!, ...unknowns] },
    });
    expect(many.response.status).toBe(404);
    expect(many.error?.missing).toEqual(unknowns);
    expect(many.error?.message).toBe(
      `documentIds: no document ${unknowns.slice(0, 5).join(', ')}, ... (300 in all, each in missing); nothing was added`,
    );
  });

  it('refuses out-of-range pages, unstorable titles, loose parameters and the wrong kind of document at once', async () => {
    const documentCount = async () =>
      (await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM documents`))[0]!.n;
    const runId = await startRun({ scope: 'applicants', top: 1 });
    // Query strings as a client could send them (the typed client would send numbers).
    const get = (path: string) =>
      checkedFetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    for (const [query, field] of [
      ['limit=Infinity', /limit/],
      ['offset=99999999999999999999', /offset/],
    ] as const) {
      const page = await get(`/v1/screenings/${runId}?${query}`);
      expect({ query, status: page.status }).toEqual({ query, status: 400 });
      expect(((await page.json()) as { message: string }).message).toMatch(field);
      const documents = await get(`/v1/documents?${query.replace('offset', 'limit')}`);
      expect({ query, status: documents.status }).toEqual({ query, status: 400 });
    }
    const limit = await acme.GET('/v1/documents', { params: { query: { limit: 1001 } } });
    expect(limit.response.status).toBe(400);
    expect(limit.error?.message).toMatch(/limit/);
    const page = await ok(acme.GET('/v1/documents', { params: { query: { kind: 'posting', limit: 1 } } }));
    expect(page.documents).toEqual([expect.objectContaining({ kind: 'posting' })]);

    const before = await documentCount();
    const nul = await acme.POST('/v1/postings', {
      body: { title: 'Data\u0000engineer', text: 'A job description.' },
    });
    expect(nul.response.status).toBe(400);
    expect(nul.error?.message).toMatch(/^body\.title: contains U\+0000/);
    expect(await documentCount()).toBe(before);

    for (const [params, field] of [
      [{ threshold: null }, /threshold/],
      [{ threshold: 0.5, x: 1 }, /additional propert|x/],
      [{ hardGate: 'true' }, /hardGate/],
    ] as const) {
      // Parameters of the wrong type on purpose: past the client's types, not past the server's schema.
      const loose = params as unknown as ScreeningBody['params'];
      for (const refused of [
        await screen(postingId, { params: loose }),
        await acme.POST('/v1/postings', { body: { title: 'p', text: 'Job.', params: loose } }),
      ]) {
        const path = new URL(refused.response.url).pathname;
        expect({ path, params, status: refused.response.status }).toEqual({ path, params, status: 400 });
        expect(refused.error?.message).toMatch(field);
      }
    }

    // A resume is not a posting, a posting is not an applicant.
    const asPosting = await acme.POST('/v1/postings', {
      body: { title: 'From a resume', documentId: resumes[0] },
    });
    expect(asPosting.response.status).toBe(422);
    expect(asPosting.error?.error).toBe('not_a_posting');
    // The same words sent as a job description are a posting of their own, not the resume's copy: screenable.
    const sameWords = await ok(
      acme.POST('/v1/documents', { body: { documents: [{ kind: 'posting', text: resumeTexts[0]! }] } }),
    );
    expect(sameWords.documents[0]).not.toHaveProperty('duplicateOf');
    const fromSameWords = await acme.POST('/v1/postings', {
      body: { title: 'Same words as a resume', documentId: sameWords.documents[0]!.id },
    });
    expect({ status: fromSameWords.response.status, error: fromSameWords.error }).toEqual({
      status: 201,
      error: undefined,
    });
    const postedText = await ok(
      acme.POST('/v1/postings', { body: { title: 'Inline, same words', text: resumeTexts[1]! } }),
    );
    const postedDocument = await ok(
      acme.GET('/v1/documents/{id}', { params: { path: { id: postedText.documentId } } }),
    );
    expect(postedDocument).toMatchObject({ kind: 'posting' });
    expect(postedDocument).not.toHaveProperty('duplicateOf');
    const asApplicant = await acme.POST('/v1/postings/{id}/applicants', {
      params: { path: { id: postingId } },
      body: { documentIds: [resumes[1]!, postingDocument] },
    });
    expect(asApplicant.response.status).toBe(422);
    expect(asApplicant.error).toMatchObject({ error: 'not_a_resume', notResumes: [postingDocument] });

    // A posting document that failed: refused when the posting is made, and when a screening is asked for.
    const form = new FormData();
    form.append('kind', 'posting');
    form.append('file', new Blob([readFileSync(join(fixtures, 'bad', 'truncated.pdf'))]), 'job.pdf');
    const [failedId] = await upload(form);
    await waitFor('the posting document to fail', async () => {
      const view = await ok(acme.GET('/v1/documents/{id}', { params: { path: { id: failedId! } } }));
      return view.status === 'failed' ? view : undefined;
    });
    const started = Date.now();
    const fromFailed = await acme.POST('/v1/postings', { body: { title: 'Broken', documentId: failedId } });
    expect(fromFailed.response.status).toBe(422);
    expect(fromFailed.error).toMatchObject({ error: 'posting_failed' });
    expect(fromFailed.error?.message).toMatch(/corrupt_file/);
    expect(Date.now() - started).toBeLessThan(4000);
    const [postingRow] = await queryRows<{ id: string }>(
      database.db,
      sql`INSERT INTO postings (tenant_id, document_id, title)
          SELECT tenant_id, id, 'made before its document failed' FROM documents WHERE id = ${failedId}
          RETURNING id`,
    );
    const screening = await screen(postingRow!.id, { scope: 'pool' });
    expect(screening.response.status).toBe(422);
    expect(screening.error?.error).toBe('posting_failed');
  });
});
