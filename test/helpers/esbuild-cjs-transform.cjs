/**
 * Jest transform for ESM-only packages whose code swc cannot turn into CommonJS (emscripten glue that assigns
 * `import.meta.url`, e.g. @jsquash/webp). esbuild converts them as it does when bundling a function for deploy:
 * `import.meta` becomes a local object and `import()` becomes a lazy `require()`.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { transformSync, version } = require('esbuild');

const self = readFileSync(__filename);

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      format: 'cjs',
      loader: 'js',
      target: 'node20',
      sourcefile: filename,
      sourcemap: true,
      supported: { 'dynamic-import': false },
      logLevel: 'silent',
    });
    return { code, map };
  },
  getCacheKey(source, filename) {
    return createHash('sha1').update(self).update(version).update(filename).update(source).digest('hex');
  },
};
