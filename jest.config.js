/** Jest runs every offline test kind; see docs/testing in README. */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

module.exports = {
  // Node's environment, plus a check that each test file leaves nothing keeping the process alive (D104).
  testEnvironment: '<rootDir>/test/helpers/leak-check-environment.ts',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // @jsquash/webp's emscripten glue assigns to import.meta, which swc leaves as ESM; esbuild rewrites it the
    // same way the deploy bundle does (the first matching pattern wins).
    '/node_modules/@jsquash/.+\\.js$': '<rootDir>/test/helpers/esbuild-cjs-transform.cjs',
    '^.+\\.(t|j|mj)sx?$': swc,
  },
  // jose and @jsquash ship ESM only; turn them into CommonJS for jest's module registry.
  transformIgnorePatterns: ['/node_modules/(?!(jose|@jsquash)/)'],
  moduleNameMapper: { '^#shared/(.*)$': '<rootDir>/functions/_shared/$1' },
  testTimeout: 60000,
  maxWorkers: 2,
  // A worker is replaced once a test file leaves it above 300 MB of heap (D65): after ~45 files each local-cloud
  // test had left a worker at ~1 GB RSS, whose teardown outlasted jest's 500 ms grace on a loaded machine
  // ("A worker process has failed to exit gracefully"); no handle was left open.
  workerIdleMemoryLimit: '300MB',
  setupFiles: ['<rootDir>/test/helpers/jest-setup.ts'],
  // Function bundles and the website are built once before any test file starts a local cloud (D65).
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
};
