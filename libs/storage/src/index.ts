export {
  InvalidObjectKeyError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  assertValidKey,
} from './object-store';
export type { ObjectStore } from './object-store';
export { S3ObjectStore, createS3Client } from './s3-object-store';
export { LocalObjectStore } from './local-object-store';
export { HashingLimiter } from './hashing-limiter';
