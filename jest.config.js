/** Jest runs every offline test kind; see docs/testing in README. */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)sx?$': swc },
  // jose ships ESM only; let swc turn it into CommonJS for jest's module registry.
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  moduleNameMapper: { '^#shared/(.*)$': '<rootDir>/functions/_shared/$1' },
  testTimeout: 60000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/helpers/jest-setup.ts'],
};
