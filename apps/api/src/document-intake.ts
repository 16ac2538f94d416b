import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Config } from '@shortlist/config';
import {
  DocumentRepository,
  TenantRepository,
  type Database,
  type Document,
  type DocumentSource,
} from '@shortlist/db';
import type { JobQueues } from '@shortlist/queue';
import {
  InvalidObjectKeyError,
  ObjectTooLargeError,
  assertValidKey,
  type ObjectStore,
} from '@shortlist/storage';
import { HttpError } from './http-error';

export type DocumentKind = Document['kind'];

const TEXT_CONCURRENCY = 16;

/** What POST /v1/documents answers for each document. */
export interface Accepted {
  id: string;
  status: Document['status'];
  duplicateOf?: string;
}

export type DocumentInput =
  | { kind: DocumentKind; text: string; metadata?: Record<string, unknown> }
  | { kind: DocumentKind; source: { bucket: string; key: string }; metadata?: Record<string, unknown> };

/**
 * Accepting documents: bytes go to the object store under a server-generated key (streamed, capped, hashed on the
 * way), a `queued` row is committed, then the extract job is enqueued. A crash between the commit and the
 * enqueue is repaired by the workers' sweeper. Same bytes twice for a tenant: the second is a duplicate of the
 * first, stored nowhere and never extracted or embedded.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class DocumentIntake {
  private readonly documents: DocumentRepository;
  private readonly tenants: TenantRepository;

  constructor(
    db: Database,
    private readonly store: ObjectStore,
    private readonly queues: JobQueues,
    private readonly ingest: Config['ingest'],
  ) {
    this.documents = new DocumentRepository(db);
    this.tenants = new TenantRepository(db);
  }

  /** One uploaded file (multipart part) or inline text. */
  async acceptBytes(
    tenantId: string,
    kind: DocumentKind,
    body: Readable | Buffer,
    source: Pick<DocumentSource, 'type' | 'filename' | 'contentType'>,
    metadata: Record<string, unknown> = {},
  ): Promise<Accepted> {
    const id = randomUUID();
    const key = `${tenantId}/${id}`;
    let stored;
    try {
      stored = await this.store.put(key, body, {
        maxBytes: this.ingest.maxDocumentBytes,
        contentType: source.contentType,
      });
    } catch (error) {
      if (
        error instanceof ObjectTooLargeError ||
        (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE'
      ) {
        throw new HttpError(
          413,
          'payload_too_large',
          `${source.filename ?? 'the document'} is larger than the limit of ${this.ingest.maxDocumentBytes} bytes (MAX_DOCUMENT_BYTES)`,
        );
      }
      throw error;
    }
    const { document, original } = await this.documents.createOrLinkDuplicate({
      id,
      tenantId,
      kind,
      source: { ...source, key },
      sha256: stored.sha256,
      sizeBytes: stored.size,
      metadata,
    });
    if (original) {
      await this.store.delete(key); // the original's bytes serve both
      return { id: document.id, status: original.status, duplicateOf: original.id };
    }
    await this.queues.enqueue('extract', { tenantId, documentId: document.id });
    return { id: document.id, status: document.status };
  }

  /** A JSON batch (or one document): every entry is checked before anything is stored. */
  async acceptMany(tenantId: string, inputs: DocumentInput[]): Promise<Accepted[]> {
    inputs.forEach((input, index) => this.check(input, inputs.length > 1 ? `documents[${index}]` : 'body'));
    const references = inputs.flatMap((input, index) => ('source' in input ? [{ input, index }] : []));
    await this.refuseOtherTenantsKeys(
      tenantId,
      references.map(({ input, index }) => ({
        key: input.source.key,
        path: inputs.length > 1 ? `documents[${index}]` : 'body',
      })),
    );
    const results: Accepted[] = new Array<Accepted>(inputs.length);
    // References need no S3 call at all: one INSERT for all, one bulk enqueue (10,000 in a few seconds).
    const created = await this.documents.createMany(
      references.map(({ input }) => ({
        tenantId,
        kind: input.kind,
        source: { type: 's3', ...input.source },
        metadata: input.metadata ?? {},
      })),
    );
    created.forEach(
      (document, i) => (results[references[i]!.index] = { id: document.id, status: document.status }),
    );
    await this.queues.enqueueMany(
      'extract',
      created.map((d) => ({ tenantId, documentId: d.id })),
    );
    // Texts are stored a few at a time: each is an object PUT and a row.
    const texts = inputs.flatMap((input, index) => ('text' in input ? [{ input, index }] : []));
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(TEXT_CONCURRENCY, texts.length) }, async () => {
        while (next < texts.length) {
          const { input, index } = texts[next++]!;
          results[index] = await this.acceptBytes(
            tenantId,
            input.kind,
            Buffer.from(input.text, 'utf8'),
            { type: 'text', contentType: 'text/plain; charset=utf-8' },
            input.metadata,
          );
        }
      }),
    );
    return results;
  }

  /**
   * Shortlist stores each tenant's documents under `<tenant id>/`. Whatever SOURCE_ALLOWLIST says (and it may not
   * name S3_BUCKET: the API refuses to start), a key under another tenant's id is not this tenant's to register.
   */
  private async refuseOtherTenantsKeys(
    tenantId: string,
    keys: { key: string; path: string }[],
  ): Promise<void> {
    const prefixed = keys.flatMap(({ key, path }) => {
      const first = key.split('/', 1)[0]!.toLowerCase();
      return UUID.test(first) && first !== tenantId.toLowerCase() && key.includes('/')
        ? [{ first, key, path }]
        : [];
    });
    if (prefixed.length === 0) return;
    const others = new Set(await this.tenants.existingIds([...new Set(prefixed.map((p) => p.first))]));
    const refused = prefixed.find((p) => others.has(p.first));
    if (refused) {
      throw new HttpError(
        403,
        'source_forbidden',
        `${refused.path}.source.key: ${refused.key} is under another tenant's prefix (${refused.first}/)`,
      );
    }
  }

  private check(input: DocumentInput, path: string): void {
    if ('text' in input && 'source' in input) {
      throw new HttpError(400, 'invalid_request', `${path}: give either text or source, not both`);
    }
    if ('text' in input) {
      if (Buffer.byteLength(input.text, 'utf8') > this.ingest.maxDocumentBytes) {
        throw new HttpError(
          413,
          'payload_too_large',
          `${path}.text is larger than ${this.ingest.maxDocumentBytes} bytes`,
        );
      }
      return;
    }
    if (!('source' in input)) throw new HttpError(400, 'invalid_request', `${path}: give text or source`);
    const { bucket, key } = input.source;
    try {
      assertValidKey(key);
    } catch (error) {
      if (error instanceof InvalidObjectKeyError) {
        throw new HttpError(400, 'invalid_request', `${path}.source.key: ${error.message}`);
      }
      throw error;
    }
    const allowed = this.ingest.sourceAllowlist.some((a) => a.bucket === bucket && key.startsWith(a.prefix));
    if (!allowed) {
      throw new HttpError(
        400,
        'source_not_allowed',
        `${path}.source: s3://${bucket}/${key} is outside the allowed buckets and prefixes (SOURCE_ALLOWLIST)`,
      );
    }
  }
}
