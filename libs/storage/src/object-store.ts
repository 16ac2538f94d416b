import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  /** sha256 of the bytes, hex, computed while they streamed through. */
  sha256: string;
}

export interface PutOptions {
  contentType?: string;
  /** Refuse (and remove) an object larger than this many bytes. */
  maxBytes?: number;
}

/**
 * Where document bytes live: S3 (any S3-protocol server) in services mode, a local directory in embedded mode.
 * Bodies always stream; nothing here holds a whole object in memory.
 */
export interface ObjectStore {
  /** Creates the bucket or directory if it does not exist yet. */
  ensureReady(): Promise<void>;
  /** Throws unless the bucket or directory can be reached now (readiness probes); changes nothing. */
  checkReachable(): Promise<void>;
  put(key: string, body: Readable | Buffer | string, options?: PutOptions): Promise<StoredObject>;
  /**
   * The object's bytes as a stream; `ObjectNotFoundError` when absent. `bucket` reads an object registered by
   * reference from another bucket (S3 only; the caller checks it against the allow-list).
   */
  get(key: string, bucket?: string): Promise<Readable>;
  /** The object's size, or undefined when absent. */
  size(key: string): Promise<number | undefined>;
  /** Removes the object; absent objects are fine (erasure is idempotent). */
  delete(key: string): Promise<void>;
}

export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`object exceeds the limit of ${maxBytes} bytes`);
  }
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`no object at ${key}`);
  }
}

export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
}

/** Keys are relative paths of safe segments: no `..`, no absolute paths, no empty or control characters. */
export function assertValidKey(key: string): void {
  const segments = key.split('/');
  const bad =
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith('/') ||
    [...key].some((c) => c.charCodeAt(0) < 0x20 || c === '\\') ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new InvalidObjectKeyError(`invalid object key ${JSON.stringify(key)}`);
}
