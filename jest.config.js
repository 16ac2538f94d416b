/**
 * One jest run covers unit tests (beside the code, `*.test.ts`) and integration tests (`test/`), which talk to
 * the real PostgreSQL, Redis and S3 server that `infra/local/services.sh` ensures in the global set-up.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: '<rootDir>/test/support/test-environment.ts',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: {
    '^@shortlist/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    // content-disposition 3 is ESM-only: Node 20.19+ require()s it at run time, jest before Node 24.9 cannot.
    '^content-disposition$': '<rootDir>/test/support/content-disposition.cjs',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 60_000,
  // A Redis client that lost its server (the readiness test stops one) lets go of its reconnect timers within
  // about 2 s of disconnect(); warn about open handles only past that.
  openHandlesTimeout: 3_000,
  // Each file clones its own database and owns its queue prefix and bucket, so files run in parallel safely.
  maxWorkers: '50%',
};
