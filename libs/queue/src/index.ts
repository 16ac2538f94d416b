export { RedisSetupError, checkRedis, createRedisConnection } from './redis';
export type { RedisConnectionOptions } from './redis';
