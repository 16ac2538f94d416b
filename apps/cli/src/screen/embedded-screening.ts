import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { lock } from 'proper-lockfile';
import {
  DocumentRepository,
  DomainRepository,
  EmbeddingRepository,
  ModelRepository,
  PostingRepository,
  ScreeningRepository,
  TenantRepository,
  migrate,
  openPglite,
  type Document,
  type DocumentDomain,
  type RankedCandidate,
} from '@shortlist/db';
import { EmbeddingEngine } from '@shortlist/embedding';
import { ExtractionAbortedError } from '@shortlist/extract';
import {
  InProcessRunner,
  acceptDocument,
  createScreeningRun,
  retryDocument,
  explainResults,
  registerEngineModels,
  summariseRun,
  type ExplainedResult,
  type StageProgress,
} from '@shortlist/pipeline';
import { coerceError, ExitCode, SetupError } from '@shortlist/config';
import type { GateAudit, ScoreOverrides, ScoreParams } from '@shortlist/scoring';
import { LocalObjectStore, ObjectTooLargeError } from '@shortlist/storage';
import { ArgumentError, realPath } from '../arguments';
import { jobTitle } from './job-title';

export interface ScreeningOptions {
  job: string;
  resumes: string;
  dataDir: string;
  models: string;
  top?: number | undefined;
  /** Score parameters given on the command line (checked by the caller). */
  overrides?: ScoreOverrides;
  /** How many of the best results get evidence (0: none). */
  evidence: number;
  embed: {
    quantized: boolean;
    threads: number;
    passTokens: number | undefined;
    passOverlap: number | undefined;
    maxDocumentTokens: number | undefined;
    batchTokens: number;
  };
  extract: { timeoutMs: number; memoryMb: number; maxDocumentBytes: number };
  onProgress?: (progress: StageProgress) => void;
  /** What it is doing before the bars start (loading models, hashing files), for the screen. */
  onStatus?: (message: string) => void;
  /** What the user should know about how this run computes (a model running unfused beside its fused copy, why). */
  onWarning?: (message: string) => void;
  /** The work counted before any starts: documents to extract, and to embed (the bars' totals). */
  onPlan?: (plan: { extract: number; embed: number }) => void;
  /** Aborted (Ctrl-C): finish what is running, keep it, stop. */
  signal?: AbortSignal;
  /** Aborted (a second Ctrl-C) just before the process exits: parsers still running are killed. */
  quit?: AbortSignal;
}

/** No ranking without the job description: it could not be read (65), or Ctrl-C came before it was (130). */
class JobDescriptionError extends SetupError {
  override readonly name = 'JobDescriptionError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * A ranked candidate with the file(s) it was read from, relative to the resumes folder, and its domain label
 * (`domain` stays the cosine of the domain vectors).
 */
export type ScreenedFile = RankedCandidate &
  Pick<ExplainedResult, 'gate' | 'flags' | 'evidence'> & {
    file: string;
    /** Absolute path of the (first) file, for links in the report. */
    path: string;
    domainLabel: DocumentDomain | undefined;
    /** Longer than EMBED_MAX_DOCUMENT_TOKENS: only its first tokens were embedded (absent otherwise). */
    truncated?: true;
  };

export interface ScreeningReport {
  posting: { file: string; documentId: string; title: string; domainLabel: DocumentDomain | undefined };
  /** When the run finished (ISO 8601). */
  date: string;
  models: { semantic: { id: string; name: string }; domain: { id: string; name: string } };
  params: ScoreParams;
  /** Candidates ranked (before --top). */
  ranked: number;
  /** How many of the best results carry evidence. */
  evidenceTop: number;
  audit: GateAudit | null;
  results: ScreenedFile[];
  /** Files that could not be screened, with why (the document's failure reason). */
  skipped: { file: string; reason: string }[];
  /**
   * Per resume file: read now (extracted and embedded by this run), embedded again (a new model), reused
   * (ready from an earlier run), skipped; and whether the job description lay in the folder (then excluded).
   */
  processed: {
    files: number;
    readNow: number;
    embeddedAgain: number;
    reused: number;
    skipped: number;
    jobExcluded: boolean;
  };
  interrupted: boolean;
}

/** Files under a folder, recursively, in a stable order (links to files included); hidden files skipped. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    if (
      relative(dir, path)
        .split(sep)
        .some((part) => part.startsWith('.'))
    )
      continue;
    if (entry.isFile() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile()))
      files.push(path);
  }
  return files.sort();
}

/**
 * The data directory, held by this run alone: PGlite is one process's database, and a second run on it would
 * crash or corrupt the first. The lock (proper-lockfile: a folder beside it whose mtime the holder renews) is
 * taken over once its holder has stopped renewing it for 10 s (killed).
 */
async function lockDataDirectory(dataDir: string): Promise<() => Promise<void>> {
  try {
    return await lock(dataDir, {
      lockfilePath: join(dataDir, '.lock'),
      stale: 10_000,
      retries: 0,
      // Renewal failed (the folder removed, the disk gone): the run goes on; the next run may not wait for it.
      onCompromised: () => undefined,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    throw new ArgumentError(
      `--data-dir ${dataDir}: in use by another shortlist screen; wait for it to finish, or give another --data-dir`,
      ExitCode.busy,
    );
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * `shortlist screen`: the pipeline on one machine — PGlite and a local object directory under the data directory,
 * the same stage handlers as the BullMQ worker run in-process, and the same ranking SQL. A file is known by its
 * bytes: a re-run stores, extracts and embeds only new or changed files, and resumes where an interrupted one
 * stopped.
 */
export async function screenFolder(options: ScreeningOptions): Promise<ScreeningReport> {
  const listed = await listFiles(options.resumes);
  // The job description inside the resumes folder, by any path or link, is no candidate (it would rank itself
  // first, at 1.000).
  const job = await realPath(options.job);
  const files: string[] = [];
  for (const file of listed) if ((await realPath(file)) !== job) files.push(file);
  if (files.length === 0)
    throw new ArgumentError(
      `--resumes ${options.resumes}: no resume files in it${listed.length > 0 ? ' besides the job description' : ''}`,
    );
  await mkdir(options.dataDir, { recursive: true });
  const unlock = await lockDataDirectory(options.dataDir);
  try {
    return await screenLocked(options, files, files.length < listed.length);
  } finally {
    await unlock();
  }
}

/** The run itself, the data directory held: `files` are the resumes; `jobExcluded`, the job lay among them. */
async function screenLocked(
  options: ScreeningOptions,
  files: string[],
  jobExcluded: boolean,
): Promise<ScreeningReport> {
  options.onStatus?.(`loading the models from ${options.models} and the data directory ${options.dataDir}`);
  // The models load on threads of their own while the database opens and the files are hashed here.
  const opening = EmbeddingEngine.open({ modelsDir: options.models, provider: 'cpu', ...options.embed });
  // Awaited below, where a failure to load surfaces; this only keeps it from counting as unhandled meanwhile.
  opening.catch(() => undefined);
  const database = await openPglite(join(options.dataDir, 'db')).catch(async (error: unknown) => {
    // The database's failure is the one to report; models that failed to load have nothing to close.
    await opening.then((engine) => engine.close()).catch(() => undefined);
    throw error;
  });
  let engine: EmbeddingEngine | undefined;
  try {
    await migrate(database);
    const db = database.db;
    const store = new LocalObjectStore(join(options.dataDir, 'objects'));
    await store.ensureReady();
    const tenantId = (await new TenantRepository(db).ensure('local')).tenantId;
    const documents = new DocumentRepository(db);
    // Intake queues nothing here: the runner starts once the work is counted, and every document not yet ready
    // (new, or failed for a reason not its own and queued again) is handed to it by status below.
    const intake = {
      db,
      store,
      enqueue: () => Promise.resolve(),
      maxDocumentBytes: options.extract.maxDocumentBytes,
    };
    /**
     * A file as a document: the existing one with the same bytes (processed again if it failed for a reason not
     * its own), or a new one stored and queued.
     */
    const admit = async (path: string, kind: Document['kind']): Promise<Document> => {
      const known = await documents.findOriginalBySha256(tenantId, kind, await sha256Of(path));
      if (known) return (await retryDocument(intake, tenantId, known.id)) ?? known;
      const accepted = await acceptDocument(intake, tenantId, {
        kind,
        body: createReadStream(path),
        source: { type: 'file', filename: basename(path) },
        metadata: { path: resolve(path) },
      });
      // The status as accepted: the runner may already have moved it on.
      return { ...(await documents.findById(tenantId, accepted.id))!, status: accepted.status };
    };

    const jobDocument = await admit(options.job, 'posting').catch((error: unknown) => {
      if (!(error instanceof ObjectTooLargeError)) throw error;
      throw new JobDescriptionError(
        `the job description ${options.job} cannot be read (too_large: ${error.message}): nothing was ranked`,
        ExitCode.dataError,
      );
    });
    options.onStatus?.(`checking ${files.length} resume file(s) against ${options.dataDir}`);
    const fileDocuments = new Map<string, Document>();
    const skipped: { file: string; reason: string }[] = [];
    for (const file of files) {
      try {
        fileDocuments.set(file, await admit(file, 'resume'));
      } catch (error) {
        const reason =
          error instanceof ObjectTooLargeError
            ? 'too_large'
            : // A name that is not UTF-8 was listed with U+FFFD in it, a name no file has.
              (error as NodeJS.ErrnoException).code === 'ENOENT' && file.includes('\ufffd')
              ? 'name_not_utf8'
              : coerceError(error).message;
        skipped.push({ file: relative(options.resumes, file), reason });
      }
    }
    engine = await opening;
    for (const warning of engine.fusedCopyWarnings) options.onWarning?.(warning);
    const modelIds = await registerEngineModels(db, engine.models);
    // This data directory is one user's: the models they run now are the ones its rankings use (after a switch,
    // say from the fallback models to the pulled nbk ones, documents get their vectors and labels again).
    const modelRepository = new ModelRepository(db);
    await modelRepository.activate(modelIds.semantic);
    await modelRepository.activate(modelIds.domain);
    const vectors = new EmbeddingRepository(db);
    const runner = new InProcessRunner(
      {
        db,
        store,
        extract: options.extract,
        embedding: { embedder: engine, modelIds },
        // Nothing else will embed a document later: rank what is there now, listing the rest.
        screening: { waitSeconds: 0 },
        shutdown: options.quit,
      },
      { extract: 2, embed: 32, rank: 1 },
      options.onProgress,
    );
    const stopOnAbort = () => runner.stop();
    options.signal?.addEventListener('abort', stopOnAbort);

    // The work, counted before any starts (the bars' totals), then handed on by status: the handlers take each
    // document from where it stands. Documents are unique here (two files with the same bytes are one).
    const all = [...new Map([jobDocument, ...fileDocuments.values()].map((d) => [d.id, d])).values()];
    const embedAgain = new Set<string>();
    for (const document of all) {
      if (
        document.status === 'ready' &&
        !document.duplicateOf &&
        !(await vectors.hasVectors(document.id, [modelIds.semantic, modelIds.domain]))
      )
        embedAgain.add(document.id);
    }
    const unfinished = all.filter((d) => d.status !== 'ready' && d.status !== 'failed');
    options.onPlan?.({
      extract: unfinished.filter((d) => d.status === 'queued' || d.status === 'extracting').length,
      embed: unfinished.length + embedAgain.size,
    });
    for (const document of unfinished) await runner.enqueue('extract', { tenantId, documentId: document.id });
    for (const documentId of embedAgain) await runner.enqueue('embed', { tenantId, documentId });
    await runner.drain();
    // Where each document stands now, read once: what this run embedded, and which files failed.
    const now = new Map<string, Document>();
    for (const document of all) now.set(document.id, (await documents.findById(tenantId, document.id))!);

    const interrupted = options.signal?.aborted ?? false;
    const postingDocument = now.get(jobDocument.id)!;
    if (postingDocument.status !== 'ready' && interrupted) {
      throw new JobDescriptionError(
        `interrupted before the job description was read; what was finished is kept in ${options.dataDir}: run the same command to resume`,
        ExitCode.interrupted,
      );
    }
    if (postingDocument.status !== 'ready') {
      throw new JobDescriptionError(
        `the job description ${options.job} cannot be read (${postingDocument.failureReason ?? postingDocument.status}): nothing was ranked`,
        ExitCode.dataError,
      );
    }
    const postings = new PostingRepository(db);
    const title = jobTitle((await documents.findText(tenantId, jobDocument.id)) ?? '', options.job);
    const posting =
      (await postings.findByDocument(tenantId, jobDocument.id)) ??
      (await postings.create({ tenantId, documentId: jobDocument.id, title }));
    const applicantIds = [...new Set([...fileDocuments.values()].map((d) => d.duplicateOf ?? d.id))];
    await postings.setApplicants(tenantId, posting.id, applicantIds);

    const { run } = await createScreeningRun(db, {
      posting,
      scope: 'applicants',
      trigger: 'cli',
      top: options.top ?? null,
      overrides: options.overrides ?? {},
      evidence: options.evidence,
    });
    if (!interrupted) {
      options.onStatus?.(
        options.evidence > 0 ? `ranking, and quoting evidence for the best ${options.evidence}` : 'ranking',
      );
      await runner.enqueue('rank', { tenantId, runId: run.id });
    }
    // A parser we killed to quit is no error: its document is simply not done (the next run does it).
    const errors = (await runner.drain()).filter((e) => !(e.error instanceof ExtractionAbortedError));
    options.signal?.removeEventListener('abort', stopOnAbort);
    if (errors.length > 0) throw errors[0]!.error;

    const screenings = new ScreeningRepository(db);
    const finished = (await screenings.findRun(tenantId, run.id))!;
    const results =
      finished.status === 'completed' ? await screenings.listResults(tenantId, run.id, 1_000_000, 0) : [];
    const filesOf = new Map<string, string[]>();
    const pathOf = new Map<string, string>();
    for (const [file, document] of fileDocuments) {
      const id = document.duplicateOf ?? document.id;
      filesOf.set(id, [...(filesOf.get(id) ?? []), relative(options.resumes, file) || basename(file)]);
      if (!pathOf.has(id)) pathOf.set(id, resolve(file));
    }
    const processed = {
      files: files.length,
      readNow: 0,
      embeddedAgain: 0,
      reused: 0,
      skipped: skipped.length,
      jobExcluded,
    };
    const summary = await summariseRun(db, finished);
    // Neither ranked nor failed: after an interruption, work left for the next run; otherwise a document the
    // pipeline lost track of. Either way the report names it rather than ranking the others silently without it.
    const unranked = new Map<string, string>();
    for (const { documentId } of summary.pending) {
      const status = (await documents.findById(tenantId, documentId))?.status ?? 'erased';
      unranked.set(documentId, `not ranked: ${interrupted ? 'interrupted' : 'unfinished'} (${status})`);
    }
    for (const [file, document] of fileDocuments) {
      const { status, failureReason } = now.get(document.id)!;
      const notRanked = unranked.get(document.duplicateOf ?? document.id);
      if (status === 'failed' || notRanked) {
        skipped.push({
          file: relative(options.resumes, file),
          reason: notRanked ?? failureReason ?? 'failed',
        });
        processed.skipped++;
      } else if (embedAgain.has(document.id)) processed.embeddedAgain++;
      else if (document.status === 'ready') processed.reused++;
      else if (status === 'ready') processed.readNow++;
    }
    const explained = await explainResults(db, finished, results);
    const truncated = new Set<string>();
    // The documents read after the run (`now`) hold the ranked ones; a lookup only for one they do not.
    for (const { documentId } of explained) {
      const document = now.get(documentId) ?? (await documents.findById(tenantId, documentId));
      if (document?.embedTruncated) truncated.add(documentId);
    }
    return {
      posting: {
        file: options.job,
        documentId: jobDocument.id,
        title,
        domainLabel: await new DomainRepository(db).findDocumentDomain(tenantId, jobDocument.id),
      },
      date: (finished.finishedAt ?? new Date()).toISOString(),
      models: {
        semantic: { id: finished.semanticModelId!, name: summary.modelNames.semantic ?? '' },
        domain: { id: finished.domainModelId!, name: summary.modelNames.domain ?? '' },
      },
      params: finished.params,
      ranked: summary.audit ? summary.audit.boosted + summary.audit.penalised : results.length,
      evidenceTop: finished.evidenceTop,
      audit: summary.audit,
      results: explained.map((r) => ({
        rank: r.rank,
        file: (filesOf.get(r.documentId) ?? [r.file ?? r.documentId]).join(', '),
        path: pathOf.get(r.documentId) ?? '',
        documentId: r.documentId,
        final: r.final,
        unclipped: r.unclipped,
        semantic: r.semantic,
        domain: r.domain,
        sameDomain: r.sameDomain,
        gate: r.gate,
        flags: r.flags,
        ...(r.evidence ? { evidence: r.evidence } : {}),
        domainLabel: r.domainLabel,
        ...(truncated.has(r.documentId) ? { truncated: true as const } : {}),
      })),
      skipped: skipped.sort((a, b) => a.file.localeCompare(b.file)),
      processed,
      interrupted,
    };
  } finally {
    // No engine when the models failed to load: that failure is what is being thrown.
    await (engine ?? (await opening.catch(() => undefined)))?.close();
    await database.close();
  }
}
