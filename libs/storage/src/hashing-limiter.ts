import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { ObjectTooLargeError } from './object-store';

/** Passes bytes through while counting and hashing them; fails the stream past `maxBytes`. */
export class HashingLimiter extends Transform {
  private readonly hash = createHash('sha256');
  /** Bytes seen so far (not `size`: the S3 uploader reads `Body.size` as the total length). */
  bytes = 0;

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      callback(new ObjectTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** A body given as text, bytes or a stream, as a stream. */
export function bodyStream(body: Readable | Buffer | string): Readable {
  return typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
}
