/** @type {import('jest').Config} */
const { compilerOptions } = require('./tsconfig.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([k, [v]]) => [`^${k}$`, `<rootDir>/${v}`]),
);
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    },
  ],
};

module.exports = {
  testTimeout: 60000,
  // Integration test files share one database (rules, quarantine rules and suppressions are global): run the
  // files one at a time, as a 2-core machine would anyway.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
      transform,
      moduleNameMapper,
    },
    {
      // A service with its real repositories on Postgres, no broker: fast tests for logic that lives in SQL.
      displayName: 'medium',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/apps/**/*.medium-spec.ts', '<rootDir>/libs/**/*.medium-spec.ts'],
      globalSetup: '<rootDir>/test/setup/medium-setup.ts',
      globalTeardown: '<rootDir>/test/setup/medium-teardown.ts',
      transform,
      moduleNameMapper,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      // After each file: the gateway's answers in it matched its OpenAPI document.
      setupFilesAfterEnv: ['<rootDir>/test/setup/response-conformance.ts'],
      transform,
      moduleNameMapper,
    },
  ],
};
