export { RedisSetupError, checkRedis, createRedisConnection } from './redis';
export type { RedisConnectionOptions } from './redis';
export {
  InvalidJobPayloadError,
  JOB_ATTEMPTS,
  JOB_NAMES,
  JOB_PAYLOADS,
  jobIdOf,
  parseJobPayload,
} from './jobs';
export type { JobName, JobPayload } from './jobs';
export { JobQueues } from './job-queues';
export type { QueueDepth } from './job-queues';
