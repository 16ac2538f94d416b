import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
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
  registerEngineModels,
  type StageProgress,
} from '@shortlist/pipeline';
import { ExitCode, SetupError } from '@shortlist/config';
import type { ScoreParams } from '@shortlist/scoring';
import { LocalObjectStore, ObjectTooLargeError } from '@shortlist/storage';

export interface ScreeningOptions {
  job: string;
  resumes: string;
  dataDir: string;
  models: string;
  top?: number;
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
type ScreenedFile = RankedCandidate & { file: string; domainLabel: DocumentDomain | undefined };

export interface ScreeningReport {
  posting: { file: string; documentId: string; title: string; domainLabel: DocumentDomain | undefined };
  models: { semantic: { id: string; name: string }; domain: { id: string; name: string } };
  params: ScoreParams;
  results: ScreenedFile[];
  /** Files that could not be screened, with why (the document's failure reason). */
  skipped: { file: string; reason: string }[];
  /** Documents this run had to extract, and that it embedded (both 0 on an unchanged re-run). */
  processed: { extracted: number; embedded: number; files: number };
  interrupted: boolean;
}

/** Files under a folder, recursively, in a stable order; hidden files skipped. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .filter(
      (path) =>
        !relative(dir, path)
          .split('/')
          .some((part) => part.startsWith('.')),
    )
    .sort();
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
  await mkdir(options.dataDir, { recursive: true });
  const engine = await EmbeddingEngine.open({ modelsDir: options.models, provider: 'cpu', ...options.embed });
  const database = await openPglite(join(options.dataDir, 'db')).catch(async (error: unknown) => {
    await engine.close();
    throw error;
  });
  try {
    await migrate(database);
    const db = database.db;
    const store = new LocalObjectStore(join(options.dataDir, 'objects'));
    await store.ensureReady();
    const tenantId = (await new TenantRepository(db).ensure('local')).tenantId;
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

    const documents = new DocumentRepository(db);
    const intake = {
      db,
      store,
      enqueue: runner.deps.enqueue,
      maxDocumentBytes: options.extract.maxDocumentBytes,
    };
    /**
     * A file as a document: the existing one with the same bytes (processed again if it failed for a reason not
     * its own), or a new one stored and queued.
     */
    const admit = async (path: string, kind: Document['kind']): Promise<Document> => {
      const known = await documents.findOriginalBySha256(tenantId, await sha256Of(path));
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

    const jobDocument = await admit(options.job, 'posting');
    const files = await listFiles(options.resumes);
    const fileDocuments = new Map<string, Document>();
    const skipped: { file: string; reason: string }[] = [];
    for (const file of files) {
      try {
        fileDocuments.set(file, await admit(file, 'resume'));
      } catch (error) {
        const reason = error instanceof ObjectTooLargeError ? 'too_large' : (error as Error).message;
        skipped.push({ file: relative(options.resumes, file), reason });
      }
    }
    // Hand on whatever is unfinished, by status: the handlers take each document from where it stands.
    const all = [jobDocument, ...fileDocuments.values()];
    let toExtract = 0;
    let toEmbedAgain = 0;
    for (const document of all) {
      if (document.status === 'queued' || document.status === 'extracting') toExtract++;
      if (document.status !== 'ready' && document.status !== 'failed') {
        await runner.enqueue('extract', { tenantId, documentId: document.id });
      } else if (
        document.status === 'ready' &&
        !document.duplicateOf &&
        !(await vectors.hasVectors(document.id, [modelIds.semantic, modelIds.domain]))
      ) {
        toEmbedAgain++;
        await runner.enqueue('embed', { tenantId, documentId: document.id });
      }
    }
    await runner.drain();
    // Where each document stands now, read once: what this run embedded, and which files failed.
    const now = new Map<string, Document>();
    for (const document of all) now.set(document.id, (await documents.findById(tenantId, document.id))!);
    const toEmbed =
      all.filter((d) => d.status !== 'ready' && now.get(d.id)!.status === 'ready').length + toEmbedAgain;

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
    const posting =
      (await postings.findByDocument(tenantId, jobDocument.id)) ??
      (await postings.create({ tenantId, documentId: jobDocument.id, title: basename(options.job) }));
    const applicantIds = [...new Set([...fileDocuments.values()].map((d) => d.duplicateOf ?? d.id))];
    await postings.setApplicants(tenantId, posting.id, applicantIds);

    const { run } = await createScreeningRun(db, {
      posting,
      scope: 'applicants',
      trigger: 'cli',
      top: options.top ?? null,
    });
    if (!interrupted) await runner.enqueue('rank', { tenantId, runId: run.id });
    // A parser we killed to quit is no error: its document is simply not done (the next run does it).
    const errors = (await runner.drain()).filter((e) => !(e.error instanceof ExtractionAbortedError));
    options.signal?.removeEventListener('abort', stopOnAbort);
    if (errors.length > 0) throw errors[0]!.error;

    const screenings = new ScreeningRepository(db);
    const finished = (await screenings.findRun(tenantId, run.id))!;
    const results =
      finished.status === 'completed' ? await screenings.listResults(tenantId, run.id, 1_000_000, 0) : [];
    const filesOf = new Map<string, string[]>();
    for (const [file, document] of fileDocuments) {
      const id = document.duplicateOf ?? document.id;
      filesOf.set(id, [...(filesOf.get(id) ?? []), relative(options.resumes, file) || basename(file)]);
    }
    for (const [file, document] of fileDocuments) {
      const { status, failureReason } = now.get(document.id)!;
      if (status === 'failed')
        skipped.push({ file: relative(options.resumes, file), reason: failureReason ?? 'failed' });
    }
    const models = modelRepository;
    const [semantic, domain] = await Promise.all([
      models.findById(finished.semanticModelId!),
      models.findById(finished.domainModelId!),
    ]);
    return {
      posting: {
        file: options.job,
        documentId: jobDocument.id,
        title: posting.title,
        domainLabel: await new DomainRepository(db).findDocumentDomain(tenantId, jobDocument.id),
      },
      models: {
        semantic: { id: semantic!.id, name: semantic!.name },
        domain: { id: domain!.id, name: domain!.name },
      },
      params: finished.params,
      results: results.map((r) => ({
        rank: r.rank,
        file: (filesOf.get(r.documentId) ?? [r.file ?? r.documentId]).join(', '),
        documentId: r.documentId,
        final: r.final,
        unclipped: r.unclipped,
        semantic: r.semantic,
        domain: r.domain,
        sameDomain: r.sameDomain,
        domainLabel: r.domainLabel,
      })),
      skipped: skipped.sort((a, b) => a.file.localeCompare(b.file)),
      processed: { extracted: toExtract, embedded: toEmbed, files: files.length },
      interrupted,
    };
  } finally {
    await engine.close();
    await database.close();
  }
}

/** Whether a path is a directory (for argument checks). */
export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
