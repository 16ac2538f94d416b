import { pipeline, type Readable } from 'node:stream';
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ExitCode, SetupError } from '@shortlist/config';
import { HashingLimiter, bodyStream } from './hashing-limiter';
import {
  ObjectNotFoundError,
  assertValidKey,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from './object-store';

export interface S3Settings {
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  forcePathStyle: boolean;
}

export function createS3Client(settings: Omit<S3Settings, 'bucket'>): S3Client {
  const config: S3ClientConfig = {
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    // Checksums only where the protocol requires them: self-hosted S3 servers do not all know the newer ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  if (settings.accessKeyId && settings.secretAccessKey) {
    config.credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey };
  }
  return new S3Client(config);
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof NoSuchKey ||
    error instanceof NotFound ||
    // A 404 the SDK has no class for (S3-compatible servers differ in the codes they send).
    (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
  );
}

/** An S3 store that cannot be used as configured, phrased as the one line the operator sees. */
class StorageSetupError extends SetupError {
  override readonly name = 'StorageSetupError';
  readonly exitCode = ExitCode.unavailable;
}

/** A set-up problem behind a failed bucket check, with its fix; anything else is returned as it is. */
function describeBucketError(error: unknown, bucket: string, endpoint: string): unknown {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (isNotFound(error)) {
    return new StorageSetupError(
      `S3 bucket ${bucket} does not exist at ${endpoint}: create it (the API creates it when it starts) or fix S3_BUCKET`,
    );
  }
  if (status === 403 || status === 401) {
    return new StorageSetupError(
      `S3 at ${endpoint} refused access to bucket ${bucket} (HTTP ${status}): check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY`,
    );
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(e.code ?? e.name ?? '')) {
    return new StorageSetupError(
      `S3 is not reachable at ${endpoint} (${e.code ?? e.name}): start it, e.g. with \`npm run services\`, or fix S3_ENDPOINT`,
    );
  }
  return error;
}

export class S3ObjectStore implements ObjectStore {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async ensureReady(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw describeBucketError(error, this.bucket, await this.endpoint());
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
      } catch (e) {
        // Another process may have created it in between.
        if (!(e instanceof BucketAlreadyOwnedByYou))
          throw describeBucketError(e, this.bucket, await this.endpoint());
      }
    }
  }

  async checkReachable(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw describeBucketError(error, this.bucket, await this.endpoint());
    }
  }

  private async endpoint(): Promise<string> {
    const endpoint = await this.client.config.endpoint?.();
    return endpoint
      ? `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}`
      : 'AWS S3';
  }

  async put(key: string, body: Readable | Buffer | string, options: PutOptions = {}): Promise<StoredObject> {
    assertValidKey(key);
    const limiter = new HashingLimiter(options.maxBytes);
    // pipeline, not pipe: a body that failed before it was handed over (a truncated multipart part) has already
    // emitted its error, which a listener added now would never hear; pipeline passes it on to the limiter.
    pipeline(bodyStream(body), limiter, () => undefined);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: limiter, ContentType: options.contentType },
      // Multipart for large bodies, a single PUT for small ones; memory stays at a few parts.
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
    });
    try {
      await upload.done();
    } catch (error) {
      // Best effort, and the upload's own error is the one to report: a part left behind is only unused bytes.
      await this.delete(key).catch(() => undefined);
      // The limiter's own error is the real cause when the upload failed because the body was too large.
      throw limiter.errored ?? error;
    }
    return { key, size: limiter.bytes, sha256: limiter.digest() };
  }

  async get(key: string, bucket: string = this.bucket): Promise<Readable> {
    assertValidKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return response.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  async size(key: string): Promise<number | undefined> {
    assertValidKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
