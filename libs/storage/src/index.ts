export {
  InvalidObjectKeyError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  assertValidKey,
} from './object-store';
export type { ObjectStore, PutOptions, StoredObject } from './object-store';
export { S3ObjectStore, StorageSetupError, createS3Client } from './s3-object-store';
export type { S3Settings } from './s3-object-store';
export { LocalObjectStore } from './local-object-store';
export { HashingLimiter } from './hashing-limiter';
