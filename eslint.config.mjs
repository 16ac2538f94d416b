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
  {
    // Configuration is the one place allowed to read the environment; tests, benchmarks and build scripts
    // arrange environments for the processes they start.
    files: ['libs/config/**', 'test/**', 'bench/**', '**/*.test.ts', 'infra/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
