import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '@shortlist/config';
import { TenantRepository, type Database, type Document } from '@shortlist/db';
import {
  InvalidIntakeError,
  checkExternalId,
  checkMetadata,
  checkText,
  discardStored,
  registerDocuments,
  storeBytes,
  type Accepted,
  type DocumentBytes,
  type IntakeDependencies,
  type StoredBytes,
} from '@shortlist/pipeline';
import type { JobQueues } from '@shortlist/queue';
import {
  InvalidObjectKeyError,
  ObjectTooLargeError,
  assertValidKey,
  type ObjectStore,
} from '@shortlist/storage';
import { coerceError } from '@shortlist/config';
import { HttpError } from './http-error';

export type DocumentKind = Document['kind'];
export type { Accepted };

const TEXT_CONCURRENCY = 16;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Files per multipart upload; one more is refused whole (413) with nothing stored. */
export const MAX_UPLOAD_FILES = 1000;

export type DocumentInput =
  | { kind: DocumentKind; text: string; metadata?: Record<string, unknown>; externalId?: string }
  | {
      kind: DocumentKind;
      source: { bucket: string; key: string };
      metadata?: Record<string, unknown>;
      externalId?: string;
    };

/**
 * The API's side of accepting documents (the steps themselves are libs/pipeline's intake): every entry of a
 * request is checked before anything is stored, the bytes are stored, and only when all are stored do rows and
 * jobs appear — all or none. Errors become the HTTP answers that name the field or the limit.
 */
export class DocumentIntake {
  private readonly deps: IntakeDependencies;
  private readonly tenants: TenantRepository;

  constructor(
    db: Database,
    store: ObjectStore,
    queues: JobQueues,
    private readonly ingest: Config['ingest'],
  ) {
    this.deps = {
      db,
      store,
      enqueue: (name, payload) => queues.enqueue(name, payload),
      enqueueMany: (name, payloads) => queues.enqueueMany(name, payloads),
      maxDocumentBytes: ingest.maxDocumentBytes,
    };
    this.tenants = new TenantRepository(db);
  }

  /** Inline text as one document (a posting's text, say). */
  async acceptText(tenantId: string, kind: DocumentKind, text: string): Promise<Accepted> {
    return (await this.acceptMany(tenantId, [{ kind, text }], false))[0]!;
  }

  /**
   * A JSON batch (`{documents: [...]}`) or one document: every entry is checked before anything is stored; all or
   * none. Messages name an entry's field as the body holds it (`body.documents[2].metadata`, `body.metadata`).
   */
  async acceptMany(tenantId: string, inputs: DocumentInput[], batch: boolean): Promise<Accepted[]> {
    const pathOf = (index: number) => (batch ? `body.documents[${index}]` : 'body');
    inputs.forEach((input, index) => this.check(input, pathOf(index)));
    await this.refuseOtherTenantsKeys(
      tenantId,
      inputs.flatMap((input, index) =>
        'source' in input ? [{ key: input.source.key, path: pathOf(index) }] : [],
      ),
    );
    const texts = inputs.flatMap((input, index) => ('text' in input ? [{ input, index }] : []));
    const stored = new Map<number, StoredBytes>();
    // Texts are stored a few at a time: each is an object PUT.
    let next = 0;
    const storing = await Promise.allSettled(
      Array.from({ length: Math.min(TEXT_CONCURRENCY, texts.length) }, async () => {
        while (next < texts.length) {
          const { input, index } = texts[next++]!;
          stored.set(index, await this.store(tenantId, textBytes(input), pathOf(index)));
        }
      }),
    );
    const failed = storing.find((s) => s.status === 'rejected');
    if (failed) {
      await discardStored(this.deps, [...stored.values()]);
      throw asHttpError(failed.reason);
    }
    const entries = inputs.map(
      (input, index) => stored.get(index) ?? (input as Extract<DocumentInput, { source: unknown }>),
    );
    return registerDocuments(this.deps, tenantId, entries);
  }

  /**
   * A multipart upload: a `kind` field, then `file` parts, each streamed to the store as it arrives; an
   * `externalId` field right before a `file` part names that file in the client's system. Rows and
   * jobs are made once the whole body has been read; any error (a bad part, too many files, a body that stops
   * arriving for `bodyReadTimeoutMs`) deletes what was stored and creates nothing.
   */
  async acceptUploads(request: FastifyRequest, reply: FastifyReply): Promise<Accepted[]> {
    const upload: Upload = { stored: [], abandoned: false };
    const reading = this.readUploads(request, upload);
    try {
      await stalledAfter(request, this.ingest.bodyReadTimeoutMs, reading);
    } catch (error) {
      if (error instanceof BodyStalledError) {
        // The rest of the body will never be read: stop the part in hand, answer, and close the connection.
        upload.abandoned = true;
        upload.current?.destroy(error);
        // It rejects with the stall we are answering now; nobody else awaits it.
        void reading.catch(() => undefined);
        void reply.header('connection', 'close');
      }
      await discardStored(this.deps, upload.stored.splice(0));
      throw asHttpError(error, { documents: [] });
    }
    if (upload.stored.length === 0) throw new HttpError(400, 'invalid_request', 'no file part in the upload');
    return registerDocuments(this.deps, request.tenantId, upload.stored);
  }

  private async readUploads(request: FastifyRequest, upload: Upload): Promise<void> {
    let kind: DocumentKind | undefined;
    // The externalId field waiting for its file part (the next part must be that file).
    let externalId: string | undefined;
    for await (const part of request.parts()) {
      const field = `file[${upload.stored.length}]`;
      if (externalId !== undefined && part.type === 'field') {
        throw new HttpError(
          400,
          'invalid_request',
          `${field}.externalId: the externalId field must come right before its file part, not before the ${part.fieldname} field`,
        );
      }
      if (part.type === 'field') {
        if (part.fieldname === 'externalId') {
          try {
            checkExternalId(part.value, `${field}.externalId`);
          } catch (error) {
            throw asHttpError(error);
          }
          externalId = part.value;
          continue;
        }
        if (part.fieldname !== 'kind') throw unknownPart(part.fieldname);
        if (!isKind(part.value)) {
          throw new HttpError(400, 'invalid_request', `kind must be one of ${KINDS.join(', ')}`);
        }
        kind = part.value;
        continue;
      }
      try {
        if (part.fieldname !== 'file') throw unknownPart(part.fieldname);
        if (!kind) throw new HttpError(400, 'invalid_request', 'send the kind field before the file parts');
        if (part.filename) checkText(part.filename, `${field}.filename`);
      } catch (error) {
        part.file.resume();
        throw error;
      }
      upload.current = part.file;
      let stored: StoredBytes;
      try {
        stored = await storeBytes(this.deps, request.tenantId, {
          kind,
          body: part.file,
          source: { type: 'upload', filename: part.filename || undefined, contentType: part.mimetype },
          externalId,
        });
        externalId = undefined;
      } catch (error) {
        if (
          error instanceof ObjectTooLargeError ||
          (error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE'
        ) {
          throw new HttpError(
            413,
            'payload_too_large',
            `${part.filename || 'the document'} is larger than the limit of ${this.ingest.maxDocumentBytes} bytes (MAX_DOCUMENT_BYTES)`,
          );
        }
        throw error;
      }
      if (upload.abandoned) await discardStored(this.deps, [stored]);
      else upload.stored.push(stored);
    }
    if (externalId !== undefined) {
      throw new HttpError(
        400,
        'invalid_request',
        `file[${upload.stored.length}].externalId: the last externalId field has no file part after it`,
      );
    }
  }

  private async store(tenantId: string, input: DocumentBytes, path: string): Promise<StoredBytes> {
    try {
      return await storeBytes(this.deps, tenantId, input);
    } catch (error) {
      if (error instanceof ObjectTooLargeError) {
        throw new HttpError(
          413,
          'payload_too_large',
          `${path}.text is larger than the limit of ${this.ingest.maxDocumentBytes} bytes (MAX_DOCUMENT_BYTES)`,
        );
      }
      throw error;
    }
  }

  /**
   * A reference under another tenant's id prefix is refused whatever SOURCE_ALLOWLIST says: defence in depth
   * beside the start-up refusal of S3_BUCKET in the list (objects of every tenant live under their ids).
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
    try {
      if (input.metadata !== undefined) checkMetadata(input.metadata, `${path}.metadata`);
      if (input.externalId !== undefined) checkExternalId(input.externalId, `${path}.externalId`);
    } catch (error) {
      throw asHttpError(error);
    }
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

/** A multipart upload being read: what is stored so far, the part in hand, whether the request was given up. */
interface Upload {
  stored: StoredBytes[];
  current?: Readable;
  abandoned: boolean;
}

const KINDS: readonly DocumentKind[] = ['resume', 'posting'];
const isKind = (value: unknown): value is DocumentKind => KINDS.includes(value as DocumentKind);

/** A multipart part other than `kind`, `externalId` and `file`: refused, as a JSON body's unknown property is. */
const unknownPart = (name: string) =>
  new HttpError(
    400,
    'invalid_request',
    `${name}: not a part of an upload (it takes a kind field, then file parts, each optionally after an externalId field)`,
  );

const textBytes = (input: Extract<DocumentInput, { text: string }>): DocumentBytes => ({
  kind: input.kind,
  body: Buffer.from(input.text, 'utf8'),
  source: { type: 'text', contentType: 'text/plain; charset=utf-8' },
  metadata: input.metadata,
  externalId: input.externalId,
});

/** The body stopped arriving: the client is answered and its connection closed. */
export class BodyStalledError extends HttpError {
  constructor(seconds: number) {
    super(
      400,
      'body_timeout',
      `the request body stopped arriving for ${seconds} s before it was complete (BODY_READ_TIMEOUT_SECONDS); nothing was stored`,
    );
  }
}

/**
 * Resolves or rejects with `work`, or rejects with BodyStalledError when the client has sent no byte for
 * `timeoutMs` while the body is incomplete and we are waiting for it (a truncated multipart body waits for a
 * boundary that never comes). Time we spend on our side (the whole body received, or reading paused because the
 * store is slow) never counts. The socket's byte counter is watched, never its data: the HTTP parser keeps
 * consuming the stream as before.
 */
async function stalledAfter<T>(request: FastifyRequest, timeoutMs: number, work: Promise<T>): Promise<T> {
  const { raw } = request;
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    let seen = raw.socket.bytesRead;
    let quietSince = Date.now();
    timer = setInterval(
      () => {
        const waitingForClient = !raw.complete && raw.readableFlowing !== false;
        if (raw.socket.bytesRead !== seen || !waitingForClient) {
          seen = raw.socket.bytesRead;
          quietSince = Date.now();
        } else if (Date.now() - quietSince >= timeoutMs) {
          reject(new BodyStalledError(timeoutMs / 1000));
        }
      },
      Math.min(1000, Math.max(50, timeoutMs / 4)),
    );
  });
  try {
    return await Promise.race([work, stalled]);
  } finally {
    clearInterval(timer);
  }
}

/** An intake error as the HTTP answer it deserves. */
function asHttpError(error: unknown, details: Record<string, unknown> = {}): unknown {
  if (error instanceof HttpError) {
    return Object.keys(details).length
      ? new HttpError(error.statusCode, error.code, error.message, { ...details, ...error.details })
      : error;
  }
  if (error instanceof InvalidIntakeError)
    return new HttpError(400, 'invalid_request', error.message, details);
  const message = error instanceof Error ? error.message : '';
  // The multipart parser's own errors (busboy): the client's body, not our fault.
  if (/Unexpected end of multipart data|terminated early/.test(message)) {
    return new HttpError(
      400,
      'invalid_request',
      'the multipart body ended before its closing boundary (--boundary--): nothing was stored',
      details,
    );
  }
  if (/Boundary not found/.test(message)) {
    return new HttpError(
      400,
      'invalid_request',
      'content-type multipart/form-data without a boundary parameter: nothing was stored',
      details,
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'FST_FILES_LIMIT') {
    return new HttpError(
      413,
      'payload_too_large',
      `more than ${MAX_UPLOAD_FILES} files in one upload (the limit per request); nothing was stored: send them in several uploads`,
      details,
    );
  }
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new HttpError(
      413,
      'payload_too_large',
      `${coerceError(error).message}; nothing was stored`,
      details,
    );
  }
  return error;
}
