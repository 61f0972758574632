// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'crypto',
  'child_process',
  'http',
  'https',
  'net',
  'stream',
  'stream/*',
  'url',
  'util',
  'zlib',
  'worker_threads',
  'events',
  'timers',
  'timers/*',
  'process',
  'buffer',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.mlops/**',
      '.tools/**',
      'dist/**',
      'coverage/**',
      'test/fixtures/**',
      'examples/**/*.py',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // Workflow code must stay deterministic: no Node built-ins, no I/O libraries.
    files: ['workflows/**/*.ts', 'contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: nodeBuiltins,
              message: 'Workflow code must be deterministic: Node built-ins are not allowed in workflows/.',
            },
            {
              group: [
                'pg',
                'pg-*',
                '@aws-sdk/*',
                'onnxruntime-node',
                'fastify',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/activity',
                '@electric-sql/*',
                '**/activities/*',
                '**/infra/*',
                '**/serving/*',
              ],
              message:
                'Workflow code must be deterministic: I/O libraries and activity implementations are not allowed in workflows/ (use `import type`).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
