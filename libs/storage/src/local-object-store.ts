import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingLimiter, bodyStream } from './hashing-limiter';
import {
  ObjectNotFoundError,
  assertValidKey,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from './object-store';

/** Objects as files under one directory (embedded mode). Writes are atomic: temp file, then rename. */
export class LocalObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  private path(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }

  async ensureReady(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  async checkReachable(): Promise<void> {
    await access(this.root, constants.R_OK | constants.W_OK);
  }

  async put(key: string, body: Readable | Buffer | string, options: PutOptions = {}): Promise<StoredObject> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.partial`;
    const limiter = new HashingLimiter(options.maxBytes);
    const source = bodyStream(body);
    try {
      await pipeline(source, limiter, createWriteStream(temp));
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { key, size: limiter.bytes, sha256: limiter.digest() };
  }

  async get(key: string, bucket?: string): Promise<Readable> {
    // A local directory is one "bucket": references to others cannot exist in embedded mode.
    if (bucket !== undefined) throw new ObjectNotFoundError(`${bucket}/${key}`);
    const path = this.path(key);
    if ((await this.size(key)) === undefined) throw new ObjectNotFoundError(key);
    return createReadStream(path);
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.path(key))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
