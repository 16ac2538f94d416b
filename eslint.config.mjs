// One lint gate for every workspace: type-aware rules that catch the bugs queue workers are prone to
// (a forgotten await loses a job; a non-exhaustive switch ignores a new status).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'coverage/**',
      '.shortlist/**',
      'tools/**',
      'migrations/**',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node, sourceType: 'module' },
  },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through @shortlist/config.' },
      ],
    },
  },
  // The layering, checked: SQL (drizzle, pg, PGlite) only in libs/db; BullMQ and Redis only in libs/queue and the
  // worker/API that run them; the pipeline's stages free of both; libraries never reach into apps.
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['libs/db/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'drizzle-orm', message: 'SQL lives in libs/db: add a repository method there.' },
            { name: 'pg', message: 'SQL lives in libs/db: add a repository method there.' },
            { name: '@electric-sql/pglite', message: 'SQL lives in libs/db: add a repository method there.' },
          ],
          patterns: [
            { group: ['drizzle-orm/*', '@electric-sql/pglite/*'], message: 'SQL lives in libs/db.' },
            {
              group: ['**/apps/**', '@shortlist/api', '@shortlist/worker', '@shortlist/cli'],
              message: 'Libraries never import apps.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['libs/db/**', 'libs/queue/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['drizzle-orm', 'pg', '@electric-sql/pglite']
            .map((name) => ({
              name,
              message: 'SQL lives in libs/db: add a repository method there.',
            }))
            .concat(
              ['bullmq', 'ioredis'].map((name) => ({
                name,
                message:
                  'Queues live in libs/queue; the pipeline stages take JobQueues and stay free of BullMQ.',
              })),
            ),
          patterns: [
            { group: ['drizzle-orm/*', '@electric-sql/pglite/*'], message: 'SQL lives in libs/db.' },
            {
              group: ['**/apps/**', '@shortlist/api', '@shortlist/worker', '@shortlist/cli'],
              message: 'Libraries never import apps.',
            },
          ],
        },
      ],
    },
  },
  {
    // Configuration is the one place allowed to read the environment; tests, benchmarks and build scripts
    // arrange environments for the processes they start.
    files: ['libs/config/**', 'test/**', 'bench/**', '**/*.test.ts', 'infra/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
