import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import { ApiKeyRepository, TenantRepository } from '@shortlist/db';
import { createRedisConnection } from '@shortlist/queue';
import { UndeclaredAuthError, installAuth } from '../../apps/api/src/auth';
import { buildServer } from '../../apps/api/src/server';
import { apiClient, ok } from '../support/api-client/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { createTestBucket, type TestBucket } from '../support/s3';

interface RawResponse {
  status: number;
  head: string;
  /** Whether the server closed the connection (after answering). */
  closed: Promise<void>;
}

/**
 * Sends a request exactly as written (no client normalises its target) and resolves with the status as soon as the
 * response head arrives. `body`, when given, is written after the head; `declaredLength` may promise more.
 */
function rawRequest(
  port: number,
  head: string,
  body?: { bytes: Buffer; declaredLength: number },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    let received = '';
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close while a body is still being written: what counts is the answer it sent.
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end >= 0) {
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
        resolve({ status, head: received.slice(0, end), closed });
      }
    });
    socket.on('close', () =>
      reject(new Error(`connection closed before an answer: ${JSON.stringify(received)}`)),
    );
    const lengthHeader = body
      ? `Content-Type: application/json\r\nContent-Length: ${body.declaredLength}\r\n`
      : '';
    socket.write(`${head}\r\nHost: 127.0.0.1:${port}\r\n${lengthHeader}\r\n`);
    if (body) socket.write(body.bytes);
  });
}

describe('authentication is declared per route and decided before the body is read', () => {
  let database: TestDatabase;
  let bucket: TestBucket;
  /** A client's bucket that SOURCE_ALLOWLIST names (references need no object: registering makes no S3 call). */
  let clientBucket: TestBucket;
  let redis: Redis;
  let prefix: string;
  let port: number;
  let key: string;
  let documentId: string;
  let acmeId: string;
  let globexId: string;
  let globexKey: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    [database, bucket, clientBucket] = await Promise.all([
      createTestDatabase(),
      createTestBucket(),
      createTestBucket(),
    ]);
    redis = createRedisConnection(process.env.REDIS_URL!, { role: 'producer' });
    prefix = uniquePrefix();
    const app = await buildServer({
      logLevel: 'silent',
      database,
      redis,
      store: bucket.store,
      redisPrefix: prefix,
      ingest: {
        maxDocumentBytes: 64 * 1024 * 1024,
        bodyReadTimeoutMs: 30_000,
        sourceAllowlist: [{ bucket: clientBucket.bucket, prefix: '' }],
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
    const tenant = await new TenantRepository(database.db).ensure('acme');
    acmeId = tenant.tenantId;
    key = (await new ApiKeyRepository(database.db).issue(tenant.tenantId)).key;
    const other = await new TenantRepository(database.db).ensure('globex');
    globexId = other.tenantId;
    globexKey = (await new ApiKeyRepository(database.db).issue(other.tenantId)).key;
    const created = await ok(
      apiClient(`http://127.0.0.1:${port}`, key).POST('/v1/documents', {
        body: { kind: 'resume', text: 'Nurse, ten years of ICU experience.' },
      }),
    );
    documentId = created.documents[0]!.id;
    close = async () => {
      await app.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    };
  });
  afterAll(async () => {
    await close();
    await Promise.all([database.drop(), bucket.remove(), clientBucket.remove()]);
  });

  it('refuses a percent-encoded /v1 path and an absolute-form target without a key, and serves them with one', async () => {
    const encoded = await rawRequest(port, `GET /%76%31/documents/${documentId} HTTP/1.1`);
    expect(encoded.status).toBe(401);
    const absolute = await rawRequest(
      port,
      `GET http://127.0.0.1:${port}/v1/documents/${documentId} HTTP/1.1`,
    );
    expect(absolute.status).toBe(401);
    const wrongKey = await rawRequest(
      port,
      `GET /%76%31/documents/${documentId} HTTP/1.1\r\nAuthorization: Bearer sl_not_a_key`,
    );
    expect(wrongKey.status).toBe(401);
    // The same spellings with the key reach the route, scoped to the key's tenant.
    const authorised = await rawRequest(
      port,
      `GET /%76%31/documents/${documentId} HTTP/1.1\r\nAuthorization: Bearer ${key}`,
    );
    expect(authorised.status).toBe(200);
  });

  it.each([['/v1/documents'], ['/%76%31/documents']])(
    'answers 401 to a 30 MB body sent to %s without a key before the body has arrived, and closes',
    async (path) => {
      const declaredLength = 30 * 1024 * 1024;
      // Only the first 64 KB is ever sent: an answer means the body was neither awaited nor parsed.
      const start = Date.now();
      const response = await rawRequest(port, `POST ${path} HTTP/1.1`, {
        bytes: Buffer.from(`{"kind":"resume","text":"${'x'.repeat(64 * 1024)}`),
        declaredLength,
      });
      expect(response.status).toBe(401);
      expect(response.head.toLowerCase()).toContain('connection: close');
      await response.closed;
      expect(Date.now() - start).toBeLessThan(5_000);
    },
  );

  it('refuses a source key under another tenant’s prefix (403, naming it), in a batch too, storing nothing', async () => {
    const globex = apiClient(`http://127.0.0.1:${port}`, globexKey);
    const register = async (documents: { kind: 'resume'; source: { bucket: string; key: string } }[]) => {
      const { error, response } = await globex.POST('/v1/documents', { body: { documents } });
      return { status: response.status, error };
    };
    const source = (key: string) => ({
      kind: 'resume' as const,
      source: { bucket: clientBucket.bucket, key },
    });
    const countGlobex = async () =>
      Number(
        (
          await database.pool.query<{ n: string }>(
            'SELECT count(*) AS n FROM documents WHERE tenant_id = $1',
            [globexId],
          )
        ).rows[0]!.n,
      );
    const before = await countGlobex();
    const refused = await register([source(`${globexId}/cv.txt`), source(`${acmeId}/${documentId}`)]);
    expect(refused.status).toBe(403);
    expect(refused.error).toMatchObject({
      error: 'source_forbidden',
      message: `body.documents[1].source.key: ${acmeId}/${documentId} is under another tenant's prefix (${acmeId}/)`,
    });
    expect(await countGlobex()).toBe(before);
    // Its own prefix, a plain key, and a uuid that is no tenant's are the client's to name.
    const accepted = await register([
      source(`${globexId}/cv.txt`),
      source('incoming/cv.txt'),
      source('00000000-0000-4000-8000-000000000009/cv.txt'),
    ]);
    expect(accepted.status).toBe(202);
    expect(await countGlobex()).toBe(before + 3);
  });

  it('will not register a /v1 route that does not declare its authentication', async () => {
    const app = Fastify();
    installAuth(app, database.db);
    expect(() => app.get('/v1/undeclared', () => ({}))).toThrow(UndeclaredAuthError);
    expect(() => app.get('/v1/declared', { config: { auth: 'tenant' } }, () => ({}))).not.toThrow();
    await app.close();
  });
});
