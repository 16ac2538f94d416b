import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import {
  InvalidObjectKeyError,
  LocalObjectStore,
  ObjectNotFoundError,
  ObjectTooLargeError,
  type ObjectStore,
} from '@shortlist/storage';
import { createTestBucket, type TestBucket } from '../support/s3';

/** A body produced chunk by chunk, never whole in memory. */
function generated(totalBytes: number, seed: number): { stream: Readable; sha256: string } {
  const chunk = 1024 * 1024;
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  for (let offset = 0; offset < totalBytes; offset += chunk) {
    const part = Buffer.alloc(Math.min(chunk, totalBytes - offset), (offset / chunk + seed) % 256);
    hash.update(part);
    parts.push(part);
  }
  return { stream: Readable.from(parts), sha256: hash.digest('hex') };
}

describe.each([
  ['S3 (s3rver)', 's3'],
  ['local directory', 'local'],
])('object store: %s', (_label, kind) => {
  let store: ObjectStore;
  let bucket: TestBucket | undefined;
  let dir: string | undefined;

  beforeAll(async () => {
    if (kind === 's3') {
      bucket = await createTestBucket();
      store = bucket.store;
    } else {
      dir = await mkdtemp(join(tmpdir(), 'shortlist-objects-'));
      store = new LocalObjectStore(dir);
      await store.ensureReady();
    }
  });
  afterAll(async () => {
    await bucket?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores and returns bytes with their size and sha256', async () => {
    const body = `résumé ${randomBytes(8).toString('hex')}`;
    const stored = await store.put('tenant-a/doc-1', body, { contentType: 'text/plain' });
    expect(stored).toEqual({
      key: 'tenant-a/doc-1',
      size: Buffer.byteLength(body),
      sha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(await text(await store.get('tenant-a/doc-1'))).toBe(body);
    expect(await store.size('tenant-a/doc-1')).toBe(Buffer.byteLength(body));
  });

  it('streams a body larger than one multipart part', async () => {
    const { stream, sha256 } = generated(9 * 1024 * 1024 + 17, 3);
    const stored = await store.put('tenant-a/large', stream);
    expect(stored.size).toBe(9 * 1024 * 1024 + 17);
    expect(stored.sha256).toBe(sha256);
    expect(await store.size('tenant-a/large')).toBe(stored.size);
  });

  it('refuses a body over the size limit and keeps nothing of it', async () => {
    const { stream } = generated(2 * 1024 * 1024, 5);
    await expect(store.put('tenant-a/too-big', stream, { maxBytes: 1024 * 1024 })).rejects.toBeInstanceOf(
      ObjectTooLargeError,
    );
    expect(await store.size('tenant-a/too-big')).toBeUndefined();
    if (dir) expect((await readdir(join(dir, 'tenant-a'))).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it.each(['../etc/passwd', '/abs', 'a//b', 'a/./b', 'nul\u0000byte', ''])(
    'rejects the key %j before any I/O',
    async (key) => {
      await expect(store.put(key, 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    },
  );

  it('rejects a body that failed before it was handed over (a truncated upload part), keeping nothing', async () => {
    const body = new Readable({ read: () => undefined });
    body.on('error', () => undefined); // as @fastify/multipart listens on its file streams
    body.push('half a part');
    body.destroy(new Error('Part terminated early due to unexpected end of multipart data'));
    // The error has been emitted before the store is handed the stream, as when the parser reaches the body's end
    // before the route reads the part.
    await new Promise((resolve) => setImmediate(resolve));
    await expect(store.put('tenant-a/cut', body)).rejects.toThrow(/terminated early/);
    expect(await store.size('tenant-a/cut')).toBeUndefined();
  });

  it('reports absent objects and deletes idempotently', async () => {
    await expect(store.get('tenant-a/missing')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await store.put('tenant-a/gone', 'bye');
    await store.delete('tenant-a/gone');
    await store.delete('tenant-a/gone');
    expect(await store.size('tenant-a/gone')).toBeUndefined();
  });
});
