import { coerceError, ExitCode, SetupError } from '@shortlist/config';
import { Redis, type RedisOptions } from 'ioredis';

/** Redis that cannot carry Shortlist's queues as it is, phrased as the one line the operator sees. */
export class RedisSetupError extends SetupError {
  override readonly name = 'RedisSetupError';
  readonly exitCode = ExitCode.unavailable;
}

export interface RedisConnectionOptions {
  /**
   * Workers block on Redis and must retry forever across restarts (`maxRetriesPerRequest: null`, as BullMQ
   * requires); producers (the API) fail fast so a request gets an error instead of hanging.
   */
  role: 'worker' | 'producer';
}

export function createRedisConnection(url: string, { role }: RedisConnectionOptions): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    lazyConnect: true,
    connectTimeout: 5_000,
    // Reconnect with a capped backoff: a Redis restart must not end the process.
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  };
  const redis = new Redis(url, options);
  // Connection errors are retried by the strategy above; without a listener they would crash the process.
  redis.on('error', () => undefined);
  return redis;
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'REDIS_URL';
  }
}

/**
 * Connects and checks what BullMQ needs: Redis >= 7 and `maxmemory-policy noeviction` (any other policy lets
 * Redis silently drop queued jobs under memory pressure).
 */
export async function checkRedis(redis: Redis, url: string): Promise<void> {
  try {
    if (redis.status === 'wait') await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new RedisSetupError(
      `Redis is not reachable at ${hostOf(url)} (${coerceError(error).message}): start it, e.g. with \`npm run services\``,
    );
  }
  const info = await redis.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '0';
  if (Number(version.split('.')[0]) < 7) {
    throw new RedisSetupError(`Redis ${version} at ${hostOf(url)}; Shortlist needs Redis 7 or newer`);
  }
  const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
  if (policy !== 'noeviction') {
    throw new RedisSetupError(
      `Redis at ${hostOf(url)} has maxmemory-policy ${policy}; queues need noeviction (CONFIG SET maxmemory-policy noeviction, or set it in redis.conf)`,
    );
  }
}
