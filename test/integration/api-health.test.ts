import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { ApiKeyRepository, TenantRepository, openPostgres, queryRows } from '@shortlist/db';
import { createRedisConnection } from '@shortlist/queue';
import { buildServer } from '../../apps/api/src/server';
import { apiClient, type ApiClient } from '../support/api-client/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startOwnPostgres } from '../support/own-postgres';
import { startOwnRedis, uniquePrefix, type OwnRedis } from '../support/redis';
import { createTestBucket, type TestBucket } from '../support/s3';

describe('API health endpoints on a real HTTP server', () => {
  let database: TestDatabase;
  let bucket: TestBucket;
  let redisServer: OwnRedis;
  /** The typed client (every answer checked against the OpenAPI document), with the tenant's key. */
  let api: ApiClient;
  let close: () => Promise<void>;

  beforeAll(async () => {
    [database, bucket, redisServer] = await Promise.all([
      createTestDatabase(),
      createTestBucket(),
      startOwnRedis(),
    ]);
    const redis = createRedisConnection(redisServer.url, { role: 'producer' });
    const app = await buildServer({
      logLevel: 'silent',
      database,
      redis,
      store: bucket.store,
      redisPrefix: uniquePrefix(),
      ingest: { maxDocumentBytes: 1024, bodyReadTimeoutMs: 30_000, sourceAllowlist: [] },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const tenant = await new TenantRepository(database.db).ensure('health');
    const key = (await new ApiKeyRepository(database.db).issue(tenant.tenantId)).key;
    api = apiClient(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, key);
    close = async () => {
      await app.close();
      redis.disconnect();
    };
  });
  afterAll(async () => {
    await close();
    await Promise.all([database.drop(), bucket.remove(), redisServer.stop()]);
  });

  it('is alive and ready when PostgreSQL, Redis and S3 answer', async () => {
    expect((await api.GET('/healthz')).data).toEqual({ status: 'ok' });
    const ready = await api.GET('/readyz');
    expect(ready.response.status).toBe(200);
    expect(ready.data).toEqual({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok', s3: 'ok' },
    });
  });

  it('turns not ready, naming Redis, when Redis goes away — and stays alive', async () => {
    await redisServer.stop();
    const ready = await api.GET('/readyz');
    expect(ready.response.status).toBe(503);
    const { checks } = ready.error as { checks: Record<string, string> };
    expect(checks.postgres).toBe('ok');
    expect(checks.s3).toBe('ok');
    // The cause (host and port) goes to the API's log, not to whoever asks /readyz.
    expect(checks.redis).toBe('failing (the cause is in the API log)');
    expect((await api.GET('/healthz')).response.status).toBe(200);
  });

  it('answers an upload while Redis is down 503 with Retry-After, leaving no row and no object', async () => {
    await redisServer.stop();
    const { response, error } = await api.POST('/v1/documents', {
      body: { kind: 'resume', text: 'Resume: Go and Postgres.' },
    });
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(error).toMatchObject({ error: 'unavailable' });
    const [row] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM documents`);
    expect(row!.n).toBe(0);
    expect(await bucket.keys()).toEqual([]);
  });
});

describe('API answers while PostgreSQL is down', () => {
  it('answers 503 with Retry-After, not 500, and 200 again once the server is back', async () => {
    const pg = await startOwnPostgres();
    const [database, bucket, redisServer] = await Promise.all([
      openPostgres(pg.url),
      createTestBucket(),
      startOwnRedis(),
    ]);
    const redis = createRedisConnection(redisServer.url, { role: 'producer' });
    const app = await buildServer({
      logLevel: 'silent',
      database,
      redis,
      store: bucket.store,
      redisPrefix: uniquePrefix(),
      ingest: { maxDocumentBytes: 1024, bodyReadTimeoutMs: 30_000, sourceAllowlist: [] },
    });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const tenant = await new TenantRepository(database.db).ensure('outage');
      const { key } = await new ApiKeyRepository(database.db).issue(tenant.tenantId);
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/documents/${randomUUID()}`;
      const get = () => fetch(url, { headers: { authorization: `Bearer ${key}` } });
      expect((await get()).status).toBe(404);
      pg.stop(); // connections are cut; new ones are refused
      const down = await get();
      expect(down.status).toBe(503);
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await down.json()).toMatchObject({ error: 'unavailable' });
      pg.start();
      expect((await get()).status).toBe(404);
    } finally {
      await app.close();
      redis.disconnect();
      await database.close();
      await Promise.all([bucket.remove(), redisServer.stop()]);
      pg.remove();
    }
  });
});
