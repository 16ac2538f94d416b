import { loadSections, requireSetting, runMain } from '@shortlist/config';
import { openPostgres } from '@shortlist/db';
import { createRedisConnection } from '@shortlist/queue';
import { S3ObjectStore, createS3Client } from '@shortlist/storage';
import { buildServer } from './server';

async function main(): Promise<void> {
  const config = loadSections(['database', 'redis', 's3', 'api', 'ingest', 'webhooks', 'log']);
  const databaseUrl = requireSetting(config.database.url, 'DATABASE_URL');
  const redisUrl = requireSetting(config.redis.url, 'REDIS_URL');
  const bucket = requireSetting(config.s3.bucket, 'S3_BUCKET');

  const database = await openPostgres(databaseUrl);
  const redis = createRedisConnection(redisUrl, { role: 'producer' });
  const store = new S3ObjectStore(createS3Client(config.s3), bucket);
  await store.ensureReady();

  const app = await buildServer({
    logLevel: config.log.level,
    database,
    redis,
    store,
    redisPrefix: config.redis.prefix,
    ingest: config.ingest,
    adminToken: config.api.adminToken,
    webhookAllowlist: config.webhooks.allowlist,
    metrics:
      config.api.metricsPort === undefined
        ? undefined
        : { port: config.api.metricsPort, host: config.api.host },
  });

  const shutdown = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    redis.disconnect();
    await database.close();
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.api.host, port: config.api.port });
}

runMain('shortlist-api', main);
