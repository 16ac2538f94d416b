import { randomBytes } from 'node:crypto';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { loadConfig } from '@shortlist/config';
import { S3ObjectStore, createS3Client } from '@shortlist/storage';

export interface TestBucket {
  store: S3ObjectStore;
  bucket: string;
  /** The keys of every object in the bucket (to find objects no row accounts for). */
  keys(): Promise<string[]>;
  /** Empties and removes the bucket. */
  remove(): Promise<void>;
}

/** A bucket of its own on the S3 server the global set-up ensured. */
export async function createTestBucket(): Promise<TestBucket> {
  const config = loadConfig();
  const bucket = `test-${randomBytes(6).toString('hex')}`;
  const client = createS3Client(config.s3);
  const store = new S3ObjectStore(client, bucket);
  await store.ensureReady();
  return {
    store,
    bucket,
    keys: async () => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const listed = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
        );
        keys.push(...(listed.Contents ?? []).map((o) => o.Key!));
        token = listed.NextContinuationToken;
      } while (token);
      return keys;
    },
    remove: async () => {
      try {
        for (;;) {
          const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
          const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
          if (keys.length === 0) break;
          await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
        }
        await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      } finally {
        client.destroy();
      }
    },
  };
}
