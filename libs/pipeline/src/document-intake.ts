import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DocumentRepository, type Database, type Document, type DocumentSource } from '@shortlist/db';
import { documentJobOf } from '@shortlist/queue';
import type { ObjectStore } from '@shortlist/storage';
import type { Enqueue } from './dependencies';
import { NOT_THE_DOCUMENTS_FAULT } from './failure-reasons';

/** What an intake needs: the database, the object store, the transport's enqueue, the size cap. */
export interface IntakeDependencies {
  db: Database;
  store: ObjectStore;
  enqueue: Enqueue;
  /** Many extract jobs at once (BullMQ's addBulk); one by one through `enqueue` when absent. */
  enqueueMany?: (name: 'extract', payloads: { tenantId: string; documentId: string }[]) => Promise<void>;
  maxDocumentBytes: number;
}

/**
 * What an intake answers for each document, naming what it accepted: the upload's file name, or the S3 object a
 * reference names, and the client's own id when it gave one. Answers are in the order of the inputs.
 */
export interface Accepted {
  id: string;
  status: Document['status'];
  duplicateOf?: string;
  file?: string;
  source?: { bucket: string; key: string };
  externalId?: string;
}

/** Bytes to accept as a document: an upload, inline text, a local file. */
export interface DocumentBytes {
  kind: Document['kind'];
  body: Readable | Buffer;
  source: Pick<DocumentSource, 'type' | 'filename' | 'contentType'>;
  metadata?: Record<string, unknown>;
  /** The client's own id for the document (its ATS's); see checkExternalId. */
  externalId?: string;
}

/** An object already in S3, registered by reference (its bytes are read and hashed by the extract stage). */
export interface DocumentReference {
  kind: Document['kind'];
  source: { bucket: string; key: string };
  metadata?: Record<string, unknown>;
  externalId?: string;
}

/** Bytes stored under a server-generated key, not yet a row. */
export interface StoredBytes {
  id: string;
  key: string;
  sha256: string;
  size: number;
  input: Omit<DocumentBytes, 'body'>;
}

/** Step 1: the bytes to the store under `<tenant>/<new id>`, streamed, capped and hashed on the way. */
export async function storeBytes(
  deps: Pick<IntakeDependencies, 'store' | 'maxDocumentBytes'>,
  tenantId: string,
  { body, ...input }: DocumentBytes,
): Promise<StoredBytes> {
  const id = randomUUID();
  const stored = await deps.store.put(`${tenantId}/${id}`, body, {
    maxBytes: deps.maxDocumentBytes,
    contentType: input.source.contentType,
  });
  return { id, key: stored.key, sha256: stored.sha256, size: stored.size, input };
}

/** Deletes stored bytes that will get no row (a later step failed). */
export async function discardStored(
  deps: Pick<IntakeDependencies, 'store'>,
  stored: StoredBytes[],
): Promise<void> {
  for (const { key } of stored) await deps.store.delete(key);
}

/**
 * Step 2, all or none: a row per stored object (a duplicate of the tenant's original with the same bytes, whose
 * own bytes are then deleted) and per reference, then the extract jobs. If any step fails, the rows made are
 * erased and the bytes deleted before the error is thrown: nothing is left that the caller did not hear of.
 * An original that failed for a reason that is not its fault (NOT_THE_DOCUMENTS_FAULT) is queued again.
 */
export async function registerDocuments(
  deps: IntakeDependencies,
  tenantId: string,
  entries: (StoredBytes | DocumentReference)[],
): Promise<Accepted[]> {
  const documents = new DocumentRepository(deps.db);
  const results = new Array<Accepted>(entries.length);
  const created: string[] = [];
  const toExtract: { id: string; kind: string }[] = [];
  const duplicateKeys: string[] = [];
  const waitingBefore = await documents.countWaiting(tenantId);
  try {
    const references = entries.flatMap((e, index) => ('source' in e ? [{ e, index }] : []));
    // References need no S3 call at all: one INSERT for all (10,000 in a few seconds).
    const rows = await documents.createMany(
      references.map(({ e }) => ({
        tenantId,
        kind: e.kind,
        source: { type: 's3', ...e.source },
        metadata: e.metadata ?? {},
        externalId: e.externalId,
      })),
    );
    rows.forEach((row, i) => {
      results[references[i]!.index] = { id: row.id, status: row.status, ...named(references[i]!.e) };
      created.push(row.id);
      toExtract.push(row);
    });
    for (const [index, entry] of entries.entries()) {
      if ('source' in entry) continue;
      const { document, original } = await documents.createOrLinkDuplicate({
        id: entry.id,
        tenantId,
        kind: entry.input.kind,
        source: { ...entry.input.source, key: entry.key },
        sha256: entry.sha256,
        sizeBytes: entry.size,
        metadata: entry.input.metadata ?? {},
        externalId: entry.input.externalId,
      });
      created.push(document.id);
      if (!original) {
        toExtract.push(document);
        results[index] = { id: document.id, status: document.status, ...named(entry) };
        continue;
      }
      duplicateKeys.push(entry.key); // the original's bytes serve both
      const requeued = await documents.requeueFailed(tenantId, original.id, NOT_THE_DOCUMENTS_FAULT);
      if (requeued) toExtract.push(requeued);
      results[index] = {
        id: document.id,
        status: (requeued ?? original).status,
        duplicateOf: original.id,
        ...named(entry),
      };
    }
    // Each resume's turn among its tenant's documents waiting to be read (jobOptionsOf: the tenant's n-th waits
    // beside the other tenants' n-th, not behind their whole backlog).
    let turn = waitingBefore;
    const payloads = [...new Map(toExtract.map((d) => [d.id, d])).values()].map((d) =>
      documentJobOf({ tenantId, id: d.id, kind: d.kind }, d.kind === 'posting' ? undefined : turn++),
    );
    if (deps.enqueueMany) await deps.enqueueMany('extract', payloads);
    else for (const payload of payloads) await deps.enqueue('extract', payload);
  } catch (error) {
    await documents.eraseMany(tenantId, created);
    await discardStored(
      deps,
      entries.filter((e): e is StoredBytes => !('source' in e)),
    );
    throw error;
  }
  for (const key of duplicateKeys) await deps.store.delete(key);
  return results;
}

/** The names an answer echoes for an entry: its file name or S3 object, and the client's id. */
function named(entry: StoredBytes | DocumentReference): Pick<Accepted, 'file' | 'source' | 'externalId'> {
  const { externalId } = 'source' in entry ? entry : entry.input;
  return {
    ...('source' in entry
      ? { source: { bucket: entry.source.bucket, key: entry.source.key } }
      : entry.input.source.filename
        ? { file: entry.input.source.filename }
        : {}),
    ...(externalId !== undefined ? { externalId } : {}),
  };
}

/** One document's bytes, start to finish: stored, a row (or a duplicate's), enqueued. */
export async function acceptDocument(
  deps: IntakeDependencies,
  tenantId: string,
  input: DocumentBytes,
): Promise<Accepted> {
  const stored = await storeBytes(deps, tenantId, input);
  const [accepted] = await registerDocuments(deps, tenantId, [stored]);
  return accepted!;
}

/**
 * Processes a failed document again when its failure was not its own fault: back to `queued`, its extract job
 * enqueued. Returns the requeued row, or undefined when it is not such a document (nothing changed).
 */
export async function retryDocument(
  deps: Pick<IntakeDependencies, 'db' | 'enqueue'>,
  tenantId: string,
  documentId: string,
): Promise<Document | undefined> {
  const requeued = await new DocumentRepository(deps.db).requeueFailed(
    tenantId,
    documentId,
    NOT_THE_DOCUMENTS_FAULT,
  );
  if (requeued) await deps.enqueue('extract', documentJobOf(requeued));
  return requeued;
}
