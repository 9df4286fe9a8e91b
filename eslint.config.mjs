// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.data/**', 'coverage/**', '**/*.mjs', '**/*.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-console': 'error',
    },
  },
  {
    // Response bodies and raw query rows are untyped by nature in tests; the promise rules still apply.
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.medium-spec.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // One way to open a transaction: UnitOfWork.run (outbox flushed before commit, relay woken after). Only the
    // unit of work and the consumer runner (which gives handlers theirs) call DataSource.transaction themselves.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: [
      'libs/messaging/src/unit-of-work.ts',
      'libs/messaging/src/consumer-runner.ts',
      '**/*.spec.ts',
      '**/*.medium-spec.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='transaction']",
          message:
            'Open transactions with UnitOfWork.run (libs/messaging/src/unit-of-work.ts), not on your own.',
        },
      ],
    },
  },
);
