export { RedisSetupError, checkRedis, createRedisConnection } from './redis';
export { JOB_NAMES, documentJobOf, jobIdOf, parseJobPayload } from './jobs';
export type { JobName, JobPayload } from './jobs';
export { JobQueues } from './job-queues';
export type { QueueDepth } from './job-queues';
